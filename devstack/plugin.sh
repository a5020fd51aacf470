#!/bin/bash
# devstack plugin for herald: install, configure, migrate, run herald-listener.
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
    iniset $HERALD_CONF oslo_messaging_rabbit amqp_durable_queues True
    # devstack's URL names no driver: herald picks the fastest one installed
    iniset $HERALD_CONF database connection $(database_connection_url $HERALD_DB_NAME)
    iniset $HERALD_CONF listener workers $HERALD_WORKERS
    iniset $HERALD_CONF listener exchanges $HERALD_EXCHANGES
    iniset $HERALD_CONF listener topics $HERALD_TOPICS
    iniset $HERALD_CONF listener shared_topics $HERALD_SHARED_TOPICS
    iniset $HERALD_CONF listener shared_queue $HERALD_SHARED_QUEUE
    iniset $HERALD_CONF DEFAULT debug $ENABLE_DEBUG_LOG_LEVEL
    # emitting services must declare their notification queues the same way
    for conf in $NOVA_CONF $CINDER_CONF; do
        if [[ -n "$conf" && -f "$conf" ]]; then
            iniset $conf oslo_messaging_rabbit amqp_durable_queues True
        fi
    done
}

function init_herald {
    recreate_database $HERALD_DB_NAME
    $HERALD_BIN_DIR/herald-manage --config-file $HERALD_CONF db upgrade
}

function start_herald {
    run_process herald-listener "$HERALD_BIN_DIR/herald-listener --config-file $HERALD_CONF"
}

function stop_herald {
    stop_process herald-listener
}

HERALD_BIN_DIR=$(get_python_exec_prefix)

if is_service_enabled herald-listener; then
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
    fi
    if [[ "$1" == "unstack" ]]; then
        stop_herald
    fi
    if [[ "$1" == "clean" ]]; then
        sudo rm -rf $HERALD_CONF_DIR
    fi
fi
