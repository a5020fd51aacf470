# herald's Event Viewer: Project > Events, and a Messages tab on the
# instance detail page. Copy into openstack_dashboard/local/enabled/.
PANEL = "events"
PANEL_DASHBOARD = "project"
PANEL_GROUP = "default"
ADD_PANEL = "herald_dashboard.dashboards.project.events.panel.Events"
ADD_INSTALLED_APPS = ["herald_dashboard"]
EXTRA_TABS = {
    "openstack_dashboard.dashboards.project.instances.tabs.InstanceDetailTabs": (
        (90, "herald_dashboard.dashboards.project.instance_messages.InstanceMessagesTab"),
    ),
}
