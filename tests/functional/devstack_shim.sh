# Stand-ins for the devstack functions devstack/plugin.sh calls, so the
# plugin's own logic runs here for real (config written, database created
# and migrated, listener started and stopped) without a devstack checkout.
# Each stand-in does what devstack's does on a single node, minus systemd
# and sudo; every call is also appended to $SHIM_CALLS for the test to read.
# Expects: SHIM_DIR, SHIM_PYTHON, SHIM_RABBIT_URL, SHIM_DB_KIND (postgresql
# or mysql), SHIM_DB_ADMIN_URL, SHIM_SERVICES (space-separated enabled services),
# SHIM_API_PORT (where the uwsgi-run API answers, in place of devstack's Apache).

SERVICE_PROTOCOL=http
SERVICE_HOST=127.0.0.1
REGION_NAME=RegionOne
API_WORKERS=2

SHIM_CALLS=$SHIM_DIR/calls

function _shim_record {
    echo "$*" >> "$SHIM_CALLS"
}

function echo_summary {
    echo "summary: $*"
}

function is_service_enabled {
    local svc
    for svc in "$@"; do
        [[ " $SHIM_SERVICES " == *" $svc "* ]] && return 0
    done
    return 1
}

function enable_service {
    _shim_record enable_service "$@"
}

function setup_develop {
    _shim_record setup_develop "$@"  # the test's environment has herald installed already
}

function pip_install {
    _shim_record pip_install "$@"
}

function restart_apache_server {
    _shim_record restart_apache_server
}

function sudo {
    "$@"
}

function get_python_exec_prefix {
    dirname "$SHIM_PYTHON"
}

# iniset [-sudo] FILE SECTION OPTION VALUE: set one option, creating file and section
function iniset {
    [[ "$1" == "-sudo" ]] && shift
    _shim_record iniset "$@"
    "$SHIM_PYTHON" - "$@" <<'PY'
import configparser, os, sys
path, section, option, value = sys.argv[1:5]
parser = configparser.ConfigParser(interpolation=None, default_section="__none__")
parser.optionxform = str
if os.path.exists(path):
    parser.read(path)
if not parser.has_section(section):
    parser.add_section(section)
parser.set(section, option, value)
with open(path, "w") as f:
    parser.write(f)
PY
}

# devstack writes transport_url for the configured RPC backend (RabbitMQ)
function iniset_rpc_backend {
    iniset "$2" "$3" transport_url "$SHIM_RABBIT_URL"
}

# the forms devstack's lib/databases/{postgresql,mysql} give: no driver
# named for PostgreSQL, charset=utf8 (utf8mb3 to the server) for MySQL
function database_connection_url {
    local base=${SHIM_DB_ADMIN_URL%/*}
    if [[ "$SHIM_DB_KIND" == "mysql" ]]; then
        echo "mysql+pymysql://${base#*://}/$1?charset=utf8"
    else
        echo "postgresql://${base#*://}/$1?client_encoding=utf8"
    fi
}

function recreate_database {
    _shim_record recreate_database "$@"
    "$SHIM_PYTHON" - "$SHIM_DB_ADMIN_URL" "$1" "$SHIM_DB_KIND" <<'PY'
import sys
import sqlalchemy as sa
url, name, kind = sys.argv[1:4]
engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
with engine.connect() as conn:
    conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
    # devstack creates MySQL databases with CHARACTER SET utf8
    charset = " CHARACTER SET utf8" if kind == "mysql" else ""
    conn.execute(sa.text(f"CREATE DATABASE {name}{charset}"))
PY
}

# devstack runs the command as a systemd unit; here, a detached process
function run_process {
    _shim_record run_process "$@"
    setsid bash -c "exec $2" > "$SHIM_DIR/$1.log" 2>&1 < /dev/null &
    echo $! > "$SHIM_DIR/$1.pid"
}

function stop_process {
    _shim_record stop_process "$@"
    local pid
    pid=$(cat "$SHIM_DIR/$1.pid")
    kill -TERM "$pid"
    for _ in $(seq 600); do
        kill -0 "$pid" 2> /dev/null || return 0
        sleep 0.1
    done
    echo "$1 (pid $pid) did not stop within 60 s" >&2
    return 1
}

# devstack's uwsgi configuration for an API (lib/apache): the same [uwsgi]
# settings, except that uwsgi answers HTTP itself on $SHIM_API_PORT and mounts
# the application at the URL path, where devstack has Apache's ProxyPass
# (SCRIPT_NAME is the path either way); pip's uwsgi has python built in
function write_uwsgi_config {
    local file=$1 wsgi=$2 url=$3
    _shim_record write_uwsgi_config "$@"
    rm -f "$file"
    iniset "$file" uwsgi processes $API_WORKERS
    iniset "$file" uwsgi master true
    iniset "$file" uwsgi die-on-term true
    iniset "$file" uwsgi exit-on-reload true
    iniset "$file" uwsgi enable-threads true
    iniset "$file" uwsgi thunder-lock true
    iniset "$file" uwsgi buffer-size 65535
    iniset "$file" uwsgi add-header "Connection: close"
    iniset "$file" uwsgi lazy-apps true
    iniset "$file" uwsgi http-socket "127.0.0.1:$SHIM_API_PORT"
    iniset "$file" uwsgi mount "$url=$wsgi"
    iniset "$file" uwsgi manage-script-name true
    iniset "$file" uwsgi need-app true
}

function remove_uwsgi_config {
    _shim_record remove_uwsgi_config "$@"
    rm -f "$1"
}

# keystone is not running here: the calls are recorded, the options written
function configure_keystone_authtoken_middleware {
    _shim_record configure_keystone_authtoken_middleware "$@"
    iniset "$1" keystone_authtoken auth_type password
    iniset "$1" keystone_authtoken www_authenticate_uri "http://$SERVICE_HOST/identity"
    iniset "$1" keystone_authtoken auth_url "http://$SERVICE_HOST/identity"
    iniset "$1" keystone_authtoken username "$2"
}

function create_service_user {
    _shim_record create_service_user "$@"
}

function get_or_create_service {
    _shim_record get_or_create_service "$@"
}

function get_or_create_endpoint {
    _shim_record get_or_create_endpoint "$@"
}
