#!/bin/bash
# devstack plugin for herald: install, configure, migrate, run herald-listener
# and herald-api (under uwsgi, as devstack runs the other APIs), and add the
# Event Viewer to Horizon when Horizon is enabled.
# enable with:  enable_plugin herald <repository URL>

function install_herald {
    setup_develop $HERALD_DIR
    if is_service_enabled postgresql; then
        pip_install 'psycopg[binary]>=3.1'
    elif is_service_enabled mysql; then
        pip_install 'PyMySQL>=1.0'
    fi
}

function configure_herald {
    sudo install -d -o $STACK_USER $HERALD_CONF_DIR
    rm -f $HERALD_CONF
    iniset_rpc_backend herald $HERALD_CONF DEFAULT
    # devstack's URL names no driver: herald picks the fastest one installed
    iniset $HERALD_CONF database connection $(database_connection_url $HERALD_DB_NAME)
    iniset $HERALD_CONF listener workers $HERALD_WORKERS
    iniset $HERALD_CONF listener exchanges $HERALD_EXCHANGES
    iniset $HERALD_CONF listener topics $HERALD_TOPICS
    iniset $HERALD_CONF listener shared_topics $HERALD_SHARED_TOPICS
    iniset $HERALD_CONF listener shared_queue $HERALD_SHARED_QUEUE
    iniset $HERALD_CONF DEFAULT debug $ENABLE_DEBUG_LOG_LEVEL
    # the watch of the services' queues (docs/operations.md): the per-host
    # queues of cinder-volume/-backup and nova-compute, from their own tables
    local dbs=""
    if is_service_enabled c-vol c-bak; then
        dbs+="$(database_connection_url cinder),"
    fi
    if is_service_enabled n-cpu; then
        dbs+="$(database_connection_url nova_cell1),"
    fi
    if [[ -n "$dbs" ]]; then
        iniset $HERALD_CONF watch service_databases "${dbs%,}"
    fi
    # nova's and cinder's own configuration is left as it is: herald declares
    # none of their exchanges and queues (listener/topology.py), and
    # herald-emit publishes with the same oslo defaults as they do
    if is_service_enabled herald-api; then
        configure_herald_api
    fi
}

function configure_herald_api {
    if is_service_enabled keystone; then
        iniset $HERALD_CONF api auth_strategy keystone
        configure_keystone_authtoken_middleware $HERALD_CONF herald
        create_herald_accounts
    else
        iniset $HERALD_CONF api auth_strategy noauth
    fi
    write_uwsgi_config "$HERALD_UWSGI_CONF" "$HERALD_UWSGI" "$HERALD_API_PATH" "" "herald-api"
    # the application reads this configuration (not oslo's default search path)
    iniset $HERALD_UWSGI_CONF uwsgi env "HERALD_CONFIG_FILE=$HERALD_CONF"
}

# herald's endpoint: its own service type, so that Cinder's block-storage
# endpoint is left alone (clients point at it with an endpoint override)
function create_herald_accounts {
    create_service_user "herald"
    get_or_create_service "herald" "user-messages" "User messages (herald)"
    get_or_create_endpoint "user-messages" "$REGION_NAME" \
        "$SERVICE_PROTOCOL://$SERVICE_HOST$HERALD_API_PATH/v3/\$(project_id)s"
}

# herald's Event Viewer in Horizon: the plugin's enabled files and settings
# snippet where Horizon reads them (herald_dashboard came with setup_develop)
function configure_herald_dashboard {
    local local_dir=$HORIZON_DIR/openstack_dashboard/local
    cp $HERALD_DIR/herald_dashboard/enabled/_*.py $local_dir/enabled/
    mkdir -p $local_dir/local_settings.d
    cp $HERALD_DIR/herald_dashboard/local_settings.d/_90_herald.py $local_dir/local_settings.d/
    # devstack's Horizon serves compressed static files: add the plugin's
    (cd $HORIZON_DIR && $PYTHON manage.py collectstatic --noinput \
        && $PYTHON manage.py compress --force)
    restart_apache_server
}

function init_herald {
    recreate_database $HERALD_DB_NAME
    $HERALD_BIN_DIR/herald-manage --config-file $HERALD_CONF db upgrade
}

function start_herald {
    run_process herald-listener "$HERALD_BIN_DIR/herald-listener --config-file $HERALD_CONF"
    if is_service_enabled herald-api; then
        run_process herald-api "$(which uwsgi) --procname-prefix herald --ini $HERALD_UWSGI_CONF"
    fi
}

function stop_herald {
    stop_process herald-listener
    if is_service_enabled herald-api; then
        stop_process herald-api
    fi
}

function cleanup_herald {
    if is_service_enabled herald-api; then
        remove_uwsgi_config "$HERALD_UWSGI_CONF" "herald-api"
    fi
    sudo rm -rf $HERALD_CONF_DIR
    if is_service_enabled horizon; then
        rm -f $HORIZON_DIR/openstack_dashboard/local/enabled/_1490_project_events_panel.py \
              $HORIZON_DIR/openstack_dashboard/local/enabled/_2490_admin_events_panel.py \
              $HORIZON_DIR/openstack_dashboard/local/local_settings.d/_90_herald.py
    fi
}

HERALD_BIN_DIR=$(get_python_exec_prefix)

if is_service_enabled herald-listener herald-api; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing herald"
        install_herald
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring herald"
        configure_herald
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Initializing and starting herald"
        init_herald
        start_herald
        if is_service_enabled horizon; then
            configure_herald_dashboard
        fi
    fi
    if [[ "$1" == "unstack" ]]; then
        stop_herald
    fi
    if [[ "$1" == "clean" ]]; then
        cleanup_herald
    fi
fi
