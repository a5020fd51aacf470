# herald's Event Viewer: Admin > Events (every project's messages).
# Copy into openstack_dashboard/local/enabled/, with _1490_project_events_panel.py
# (which adds the herald_dashboard application).
PANEL = "events"
PANEL_DASHBOARD = "admin"
PANEL_GROUP = "admin"
ADD_PANEL = "herald_dashboard.dashboards.admin.events.panel.Events"
