#!/usr/bin/env bash
# Real-server test environment for smtp-doctor (Debian 12, run as root).
#
# Installs Postfix, Cyrus SASL, dnsmasq, swaks, openssl, dig and an unpacked Exim, then starts
# private instances of Postfix, Exim and dnsmasq listening on 127.0.0.1 only, with their own
# configuration, certificates, queues, mailboxes and logs under one state directory
# (default /tmp/smtp-doctor-real, override with SMTP_DOCTOR_REAL_DIR). It never touches the
# system instances of these services. Safe to re-run: it stops its own previous instances first.
#
# Writes $SMTP_DOCTOR_REAL_DIR/env (KEY=value lines) describing ports, accounts and paths.
# See tests/real/README.md.
set -euo pipefail

STATE_DIR="${SMTP_DOCTOR_REAL_DIR:-/tmp/smtp-doctor-real}"
# Unpacked Exim lives outside the state dir (which may be on a noexec /tmp) and survives re-runs.
EXIM_PREFIX="${SMTP_DOCTOR_EXIM_PREFIX:-/opt/smtp-doctor/exim4}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Ports (all on 127.0.0.1).
POSTFIX_PLAIN_PORT=10025        # smtpd, STARTTLS offered, no AUTH
POSTFIX_SUBMISSION_PORT=10587   # submission: STARTTLS required, AUTH PLAIN/LOGIN after TLS
POSTFIX_TLS_PORT=10465          # implicit TLS (wrapper mode), otherwise like 10025 (no AUTH)
POSTFIX_SUBMISSIONS_PORT=10466  # implicit TLS + AUTH required for relaying (submissions)
POSTFIX_EXPIRED_PORT=10026      # STARTTLS with an expired certificate
POSTFIX_SELFSIGNED_PORT=10027   # STARTTLS with a self-signed certificate
POSTFIX_WRONGHOST_PORT=10028    # STARTTLS with a certificate for wrong.example
EXIM_PORT=11025                 # Exim: STARTTLS, AUTH PLAIN LOGIN only after TLS
EXIM_PLAINAUTH_PORT=11026       # Exim: no STARTTLS, AUTH PLAIN LOGIN advertised in plaintext
EXIM_CRAM_PORT=11027            # Exim: like 11025 plus AUTH CRAM-MD5
DNS_PORT=10053                  # dnsmasq, authoritative for test.example and 127.in-addr.arpa

AUTH_USER=tester
AUTH_PASSWORD=s3cret-pass
SASL_REALM=test.example

log() { printf '[setup %s] %s\n' "$(date +%T)" "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root"
case "$STATE_DIR" in
    /*) ;;
    *) die "SMTP_DOCTOR_REAL_DIR must be an absolute path: $STATE_DIR" ;;
esac
case "$STATE_DIR" in
    *[[:space:]]* | / | /tmp | /tmp/ | /root | /var | /etc | /usr) die "unsafe SMTP_DOCTOR_REAL_DIR: '$STATE_DIR'" ;;
esac
STATE_DIR="${STATE_DIR%/}"

T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------------------------------------
# 1. Packages
# ---------------------------------------------------------------------------------------------
APT_PACKAGES=(postfix sasl2-bin libsasl2-modules libsasl2-modules-db dnsmasq-base swaks openssl
    dnsutils ca-certificates netcat-openbsd iproute2 libnet-ssleay-perl libio-socket-ssl-perl
    # run-time libraries of the unpacked exim4-daemon-light
    libgnutls-dane0 libgnutls30 libidn12 libidn2-0 libnsl2 libpcre2-8-0 libdb5.3 libcrypt1)

missing_packages() {
    local p
    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
    done
}

POLICY_RC=/usr/sbin/policy-rc.d
POLICY_RC_OURS=0
remove_policy_rc() {
    if [ "$POLICY_RC_OURS" = 1 ]; then rm -f "$POLICY_RC"; POLICY_RC_OURS=0; fi
}

install_packages() {
    local missing
    missing="$(missing_packages | tr '\n' ' ')"
    if [ -z "${missing// /}" ]; then
        log "packages already installed"
        return
    fi
    log "installing: $missing"
    if [ ! -e "$POLICY_RC" ]; then
        printf '#!/bin/sh\n# temporary, from smtp-doctor tests/real/setup.sh\nexit 101\n' >"$POLICY_RC"
        chmod 755 "$POLICY_RC"
        POLICY_RC_OURS=1
    fi
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    if ! apt-get install -y -q --no-install-recommends $missing >"$TMP_LOG" 2>&1; then
        log "apt-get install failed; running apt-get update and retrying"
        apt-get update -q >>"$TMP_LOG" 2>&1 || true
        # shellcheck disable=SC2086
        apt-get install -y -q --no-install-recommends $missing >>"$TMP_LOG" 2>&1 || {
            tail -n 30 "$TMP_LOG" >&2
            die "apt-get install failed"
        }
    fi
    remove_policy_rc
}

install_exim() {
    if [ -x "$EXIM_PREFIX/usr/sbin/exim4" ]; then
        log "exim already unpacked in $EXIM_PREFIX"
    else
        log "downloading and unpacking exim4-daemon-light into $EXIM_PREFIX"
        local dl
        dl="$(mktemp -d)"
        chmod 777 "$dl" # so apt's _apt user can write there (avoids the unsandboxed warning)
        if ! (cd "$dl" && apt-get download exim4-daemon-light >"$TMP_LOG" 2>&1); then
            apt-get update -q >>"$TMP_LOG" 2>&1 || true
            (cd "$dl" && apt-get download exim4-daemon-light >>"$TMP_LOG" 2>&1) || {
                tail -n 20 "$TMP_LOG" >&2
                die "apt-get download exim4-daemon-light failed"
            }
        fi
        rm -rf "$EXIM_PREFIX.new"
        mkdir -p "$EXIM_PREFIX.new"
        dpkg -x "$dl"/exim4-daemon-light_*.deb "$EXIM_PREFIX.new"
        rm -rf "$dl" "$EXIM_PREFIX"
        mv "$EXIM_PREFIX.new" "$EXIM_PREFIX"
    fi
    if ! getent passwd Debian-exim >/dev/null; then
        log "creating user Debian-exim"
        getent group Debian-exim >/dev/null || groupadd --system Debian-exim
        useradd --system --gid Debian-exim --home-dir /var/spool/exim4 --no-create-home \
            --shell /usr/sbin/nologin Debian-exim
    fi
    if ! ldd "$EXIM_PREFIX/usr/sbin/exim4" >/dev/null 2>&1 || ldd "$EXIM_PREFIX/usr/sbin/exim4" | grep -q 'not found'; then
        ldd "$EXIM_PREFIX/usr/sbin/exim4" >&2 || true
        die "unpacked exim4 is missing shared libraries"
    fi
}

TMP_LOG="$(mktemp)"
trap 'remove_policy_rc; rm -f "$TMP_LOG"' EXIT

install_packages
install_exim
log "packages ready ($(elapsed) s)"

# ---------------------------------------------------------------------------------------------
# 2. Stop previous private instances, reset state (certificates are kept)
# ---------------------------------------------------------------------------------------------

SMTP_DOCTOR_REAL_DIR="$STATE_DIR" bash "$HERE/stop.sh"

ALL_TCP_PORTS=("$POSTFIX_PLAIN_PORT" "$POSTFIX_SUBMISSION_PORT" "$POSTFIX_TLS_PORT" "$POSTFIX_SUBMISSIONS_PORT"
    "$POSTFIX_EXPIRED_PORT" "$POSTFIX_SELFSIGNED_PORT" "$POSTFIX_WRONGHOST_PORT"
    "$EXIM_PORT" "$EXIM_PLAINAUTH_PORT" "$EXIM_CRAM_PORT" "$DNS_PORT")
busy=""
for p in "${ALL_TCP_PORTS[@]}"; do
    if ss -Hltn "sport = :$p" | grep -q .; then busy="$busy $p"; fi
done
if ss -Hlun "sport = :$DNS_PORT" | grep -q .; then busy="$busy $DNS_PORT/udp"; fi
if [ -n "$busy" ]; then
    ss -ltnup >&2 || true
    die "ports already in use by something this script did not start:$busy"
fi

mkdir -p "$STATE_DIR"
chmod 755 "$STATE_DIR"
rm -rf "${STATE_DIR:?}/postfix" "${STATE_DIR:?}/exim" "${STATE_DIR:?}/dns" "${STATE_DIR:?}/mail" "${STATE_DIR:?}/env"

CERTS="$STATE_DIR/certs"
PF="$STATE_DIR/postfix"
PF_CONF="$PF/conf"
EX="$STATE_DIR/exim"
DNS="$STATE_DIR/dns"
MAIL="$STATE_DIR/mail"

# ---------------------------------------------------------------------------------------------
# 3. Certificates: a test CA, and server certificates (valid, expired, self-signed, wrong host)
# ---------------------------------------------------------------------------------------------
NAMES_SAN="DNS:mail.test.example,DNS:mx1.test.example,DNS:mx2.test.example,DNS:localhost,IP:127.0.0.1"

certs_ok() {
    local f
    for f in ca.crt ca.key valid.pem expired.pem selfsigned.pem wronghost.pem; do
        [ -s "$CERTS/$f" ] || return 1
    done
    # Regenerate when the CA or the valid certificate expires within 30 days.
    openssl x509 -in "$CERTS/ca.crt" -noout -checkend 2592000 >/dev/null || return 1
    openssl x509 -in "$CERTS/valid.crt" -noout -checkend 2592000 >/dev/null || return 1
    openssl verify -CAfile "$CERTS/ca.crt" "$CERTS/valid.crt" >/dev/null 2>&1 || return 1
}

make_certs() {
    log "generating test CA and certificates in $CERTS"
    rm -rf "$CERTS"
    mkdir -p "$CERTS/ca-db/new"
    : >"$CERTS/ca-db/index.txt"
    printf '1000\n' >"$CERTS/ca-db/serial"
    cat >"$CERTS/openssl.cnf" <<EOF
[ ca ]
default_ca = test_ca

[ test_ca ]
dir             = $CERTS/ca-db
database        = \$dir/index.txt
new_certs_dir   = \$dir/new
serial          = \$dir/serial
default_md      = sha256
default_days    = 398
policy          = policy_any
unique_subject  = no
copy_extensions = none
email_in_dn     = no

[ policy_any ]
organizationName       = optional
organizationalUnitName = optional
commonName             = supplied

[ req ]
distinguished_name = req_dn
prompt             = no

[ req_dn ]
CN = placeholder

[ ext_ca ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[ ext_leaf ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
subjectAltName         = $NAMES_SAN

[ ext_selfsigned ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
subjectAltName         = $NAMES_SAN

[ ext_wronghost ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
subjectAltName         = DNS:wrong.example
EOF
    local cnf="$CERTS/openssl.cnf"
    openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$CERTS/ca.key"
    openssl req -config "$cnf" -new -x509 -key "$CERTS/ca.key" -sha256 -days 3650 \
        -subj "/O=smtp-doctor tests/CN=smtp-doctor Test CA" -extensions ext_ca -out "$CERTS/ca.crt"

    local name
    for name in valid expired selfsigned wronghost; do
        openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$CERTS/$name.key"
    done
    # valid: signed by the test CA, 398 days from now
    openssl req -config "$cnf" -new -key "$CERTS/valid.key" -subj "/O=smtp-doctor tests/CN=mail.test.example" \
        -out "$CERTS/valid.csr"
    openssl ca -config "$cnf" -batch -notext -cert "$CERTS/ca.crt" -keyfile "$CERTS/ca.key" \
        -extensions ext_leaf -days 398 -in "$CERTS/valid.csr" -out "$CERTS/valid.crt" 2>>"$TMP_LOG"
    # expired: signed by the test CA, valid 2020-01-01 .. 2021-01-01 (openssl ca accepts past dates)
    openssl req -config "$cnf" -new -key "$CERTS/expired.key" -subj "/O=smtp-doctor tests/CN=mail.test.example" \
        -out "$CERTS/expired.csr"
    openssl ca -config "$cnf" -batch -notext -cert "$CERTS/ca.crt" -keyfile "$CERTS/ca.key" \
        -extensions ext_leaf -startdate 20200101000000Z -enddate 20210101000000Z \
        -in "$CERTS/expired.csr" -out "$CERTS/expired.crt" 2>>"$TMP_LOG"
    # wronghost: signed by the test CA, but only for wrong.example
    openssl req -config "$cnf" -new -key "$CERTS/wronghost.key" -subj "/O=smtp-doctor tests/CN=wrong.example" \
        -out "$CERTS/wronghost.csr"
    openssl ca -config "$cnf" -batch -notext -cert "$CERTS/ca.crt" -keyfile "$CERTS/ca.key" \
        -extensions ext_wronghost -days 398 -in "$CERTS/wronghost.csr" -out "$CERTS/wronghost.crt" 2>>"$TMP_LOG"
    # selfsigned: right names, but signed by itself
    openssl req -config "$cnf" -new -x509 -key "$CERTS/selfsigned.key" -sha256 -days 398 \
        -subj "/O=smtp-doctor tests/CN=mail.test.example" -extensions ext_selfsigned -out "$CERTS/selfsigned.crt"

    for name in valid expired selfsigned wronghost; do
        # Postfix smtpd_tls_chain_files format: key first, then the certificate
        cat "$CERTS/$name.key" "$CERTS/$name.crt" >"$CERTS/$name.pem"
        rm -f "$CERTS/$name.csr"
    done
}

if certs_ok; then
    log "reusing certificates in $CERTS"
else
    make_certs
fi
chmod 755 "$CERTS"
chmod 644 "$CERTS"/*.crt
# Exim reads its key after giving up root: make keys readable by group Debian-exim.
chgrp Debian-exim "$CERTS"/*.key "$CERTS"/*.pem
chmod 640 "$CERTS"/*.key "$CERTS"/*.pem
openssl verify -CAfile "$CERTS/ca.crt" "$CERTS/valid.crt" >/dev/null || die "valid certificate does not verify"

# ---------------------------------------------------------------------------------------------
# 4. Postfix private instance
# ---------------------------------------------------------------------------------------------
NOBODY_UID="$(id -u nobody)"
NOBODY_GID="$(id -g nobody)"

mkdir -p "$PF_CONF/sasl" "$PF/queue" "$PF/data"
chown postfix:postfix "$PF/data"
for u in user other postmaster; do
    mkdir -p "$MAIL/postfix/test.example/$u/"{new,cur,tmp}
done
chown -R "$NOBODY_UID:$NOBODY_GID" "$MAIL/postfix"
chmod 755 "$MAIL" "$MAIL/postfix"

cat >"$PF_CONF/main.cf" <<EOF
# Private smtp-doctor test instance (generated by tests/real/setup.sh). Loopback only.
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop

maillog_file = $PF/postfix.log
maillog_file_prefixes = $PF

myhostname = mail.test.example
mydomain = test.example
myorigin = \$mydomain
mydestination =
mynetworks =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtpd_banner = \$myhostname ESMTP Postfix (smtp-doctor test)
biff = no
append_dot_mydomain = no
smtpd_peername_lookup = no
disable_dns_lookups = yes
smtp_dns_support_level = disabled
alias_maps =
alias_database =
local_recipient_maps =

# No outbound delivery, ever: relayed mail (only possible after AUTH) is accepted and discarded.
default_transport = discard:outbound delivery disabled (smtp-doctor test instance)
relay_transport = discard:outbound delivery disabled (smtp-doctor test instance)

# Local delivery for test.example into Maildirs.
virtual_mailbox_domains = test.example
virtual_mailbox_base = $MAIL/postfix
virtual_mailbox_maps = texthash:$PF_CONF/vmailbox
virtual_uid_maps = static:$NOBODY_UID
virtual_gid_maps = static:$NOBODY_GID
virtual_minimum_uid = 100
virtual_transport = virtual

smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:$PF_CONF/recipient_access
# Tests connect from 127.0.0.1 a lot, in parallel: no anvil limits for loopback.
smtpd_client_event_limit_exceptions = 127.0.0.0/8

smtpd_tls_chain_files = $CERTS/valid.pem
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes

smtpd_sasl_auth_enable = no
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $PF_CONF/sasl
smtpd_sasl_local_domain = $SASL_REALM
smtpd_tls_auth_only = yes
broken_sasl_auth_clients = no
EOF

W='n       -       n       -       -'
cat >"$PF_CONF/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$POSTFIX_PLAIN_PORT inet $W smtpd
127.0.0.1:$POSTFIX_SUBMISSION_PORT inet $W smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
127.0.0.1:$POSTFIX_TLS_PORT inet $W smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
127.0.0.1:$POSTFIX_SUBMISSIONS_PORT inet $W smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
127.0.0.1:$POSTFIX_EXPIRED_PORT inet $W smtpd
  -o syslog_name=postfix/expired
  -o smtpd_tls_chain_files=$CERTS/expired.pem
127.0.0.1:$POSTFIX_SELFSIGNED_PORT inet $W smtpd
  -o syslog_name=postfix/selfsigned
  -o smtpd_tls_chain_files=$CERTS/selfsigned.pem
127.0.0.1:$POSTFIX_WRONGHOST_PORT inet $W smtpd
  -o syslog_name=postfix/wronghost
  -o smtpd_tls_chain_files=$CERTS/wronghost.pem
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF

cat >"$PF_CONF/vmailbox" <<EOF
user@test.example        test.example/user/
other@test.example       test.example/other/
postmaster@test.example  test.example/postmaster/
EOF

cat >"$PF_CONF/recipient_access" <<EOF
greylist@test.example    451 4.7.1 Greylisted, try again later
blocked@test.example     550 5.7.1 blocked by policy
EOF

# Cyrus SASL: sasldb with one user; smtpd runs as user postfix and must read it.
cat >"$PF_CONF/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: $PF_CONF/sasldb2
EOF
rm -f "$PF_CONF/sasldb2"
printf '%s' "$AUTH_PASSWORD" | saslpasswd2 -c -p -f "$PF_CONF/sasldb2" -u "$SASL_REALM" "$AUTH_USER"
chown root:postfix "$PF_CONF/sasldb2"
chmod 640 "$PF_CONF/sasldb2"

postfix -c "$PF_CONF" check >"$TMP_LOG" 2>&1 || { cat "$TMP_LOG" >&2; die "postfix check failed"; }
postfix -c "$PF_CONF" start >"$TMP_LOG" 2>&1 || {
    cat "$TMP_LOG" >&2
    tail -n 30 "$PF/postfix.log" >&2 2>/dev/null || true
    die "postfix start failed"
}

# ---------------------------------------------------------------------------------------------
# 5. Exim private instance
# ---------------------------------------------------------------------------------------------
mkdir -p "$EX/spool" "$EX/log" "$MAIL/exim"
chown Debian-exim:Debian-exim "$EX/spool" "$EX/log" "$MAIL/exim"
chmod 750 "$EX/spool"
chmod 755 "$EX/log" "$MAIL/exim"
for u in user other postmaster; do
    mkdir -p "$MAIL/exim/$u/Maildir/"{new,cur,tmp}
done
chown -R Debian-exim:Debian-exim "$MAIL/exim"

EXIM_CONF="$EX/exim4.conf"
cat >"$EXIM_CONF" <<EOF
# Private smtp-doctor test instance (generated by tests/real/setup.sh). Loopback only.
exim_path = $EXIM_PREFIX/usr/sbin/exim4
spool_directory = $EX/spool
log_file_path = $EX/log/%slog
pid_file_path = $EX/exim.pid
primary_hostname = mail.test.example
qualify_domain = test.example
local_interfaces = <; 127.0.0.1.$EXIM_PORT ; 127.0.0.1.$EXIM_PLAINAUTH_PORT ; 127.0.0.1.$EXIM_CRAM_PORT
smtp_banner = \$smtp_active_hostname ESMTP Exim \$version_number (smtp-doctor test) \$tod_full
keep_environment =
host_lookup =
rfc1413_hosts =
never_users = root
log_selector = +smtp_connection +smtp_protocol_error +smtp_syntax_error +tls_cipher +tls_peerdn +received_recipients

domainlist local_domains = test.example

tls_advertise_hosts = \${if eq{\$received_port}{$EXIM_PLAINAUTH_PORT}{}{*}}
tls_certificate = $CERTS/valid.crt
tls_privatekey = $CERTS/valid.key

pipelining_advertise_hosts = *
chunking_advertise_hosts = *
smtputf8_advertise_hosts = *
dsn_advertise_hosts = *
prdr_enable = true

acl_smtp_rcpt = acl_check_rcpt

begin acl

acl_check_rcpt:
  accept  hosts = :
  require message = relay not permitted
          domains = +local_domains
  require verify = recipient
  accept

begin routers

localuser:
  driver = accept
  domains = +local_domains
  local_parts = user : other : postmaster
  transport = local_maildir

begin transports

local_maildir:
  driver = appendfile
  directory = $MAIL/exim/\$local_part_data/Maildir
  maildir_format
  delivery_date_add
  envelope_to_add
  return_path_add
  user = Debian-exim
  group = Debian-exim
  mode = 0640

begin retry

*   *   F,1h,5m

begin authenticators

PLAIN:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and {{eq{\$auth2}{$AUTH_USER}}{eq{\$auth3}{$AUTH_PASSWORD}}}}
  server_set_id = \$auth2
  server_advertise_condition = \${if or {{def:tls_in_cipher}{eq{\$received_port}{$EXIM_PLAINAUTH_PORT}}}}

LOGIN:
  driver = plaintext
  public_name = LOGIN
  server_prompts = <| Username: | Password:
  server_condition = \${if and {{eq{\$auth1}{$AUTH_USER}}{eq{\$auth2}{$AUTH_PASSWORD}}}}
  server_set_id = \$auth1
  server_advertise_condition = \${if or {{def:tls_in_cipher}{eq{\$received_port}{$EXIM_PLAINAUTH_PORT}}}}

CRAM:
  driver = cram_md5
  public_name = CRAM-MD5
  server_secret = \${if eq{\$auth1}{$AUTH_USER}{$AUTH_PASSWORD}fail}
  server_set_id = \$auth1
  server_advertise_condition = \${if and {{def:tls_in_cipher}{eq{\$received_port}{$EXIM_CRAM_PORT}}}}
EOF
chmod 644 "$EXIM_CONF"

# The Debian build trusts -C only for files listed here (otherwise it drops root privilege).
TRUSTED=/etc/exim4/trusted_configs
mkdir -p /etc/exim4
touch "$TRUSTED"
chmod 644 "$TRUSTED"
grep -qxF "$EXIM_CONF" "$TRUSTED" || echo "$EXIM_CONF" >>"$TRUSTED"

EXIM="$EXIM_PREFIX/usr/sbin/exim4"
"$EXIM" -C "$EXIM_CONF" -bV >"$TMP_LOG" 2>&1 || { cat "$TMP_LOG" >&2; die "exim configuration check failed"; }
"$EXIM" -C "$EXIM_CONF" -bd -q5m >"$TMP_LOG" 2>&1 || {
    cat "$TMP_LOG" >&2
    tail -n 30 "$EX/log/paniclog" "$EX/log/mainlog" >&2 2>/dev/null || true
    die "exim start failed"
}

# ---------------------------------------------------------------------------------------------
# 6. dnsmasq: authoritative only, never forwards
# ---------------------------------------------------------------------------------------------
mkdir -p "$DNS"
: >"$DNS/dnsmasq.log"
chown dnsmasq "$DNS/dnsmasq.log" 2>/dev/null || true
cat >"$DNS/dnsmasq.conf" <<EOF
# Private smtp-doctor test DNS (generated by tests/real/setup.sh). Loopback only, never forwards.
no-resolv
no-hosts
no-poll
no-negcache
port=$DNS_PORT
listen-address=127.0.0.1
bind-interfaces
pid-file=$DNS/dnsmasq.pid
log-queries
log-facility=$DNS/dnsmasq.log
auth-server=ns.test.example,127.0.0.1
auth-zone=test.example,127.0.0.0/8
auth-soa=1,hostmaster.test.example,600,60,3600,60
auth-ttl=60
local-ttl=60

# One host-record line, so that the only PTR for 127.0.0.1 is mail.test.example.
host-record=mail.test.example,mx1.test.example,mx2.test.example,ns.test.example,implicit.test.example,nullmx.test.example,127.0.0.1
ptr-record=1.0.0.127.in-addr.arpa,mail.test.example

mx-host=test.example,mx1.test.example,10
mx-host=test.example,mx2.test.example,20
mx-host=single.test.example,mail.test.example,10
mx-host=nullmx.test.example,.,0
cname=alias.test.example,mail.test.example
mx-host=cname-mx.test.example,alias.test.example,10
mx-host=dangling.test.example,missing.test.example,10
srv-host=_submission._tcp.test.example,mail.test.example,$POSTFIX_SUBMISSION_PORT,0,1
srv-host=_submissions._tcp.test.example,mail.test.example,$POSTFIX_TLS_PORT,0,1
EOF
dnsmasq --conf-file="$DNS/dnsmasq.conf" >"$TMP_LOG" 2>&1 || {
    cat "$TMP_LOG" >&2
    tail -n 20 "$DNS/dnsmasq.log" >&2 || true
    die "dnsmasq start failed"
}

# ---------------------------------------------------------------------------------------------
# 7. Wait until everything answers (bounded), fail loudly with the log tail otherwise
# ---------------------------------------------------------------------------------------------
wait_tcp() { # PORT LOGFILE...
    local port="$1"
    shift
    local _
    for _ in $(seq 1 100); do # 100 x 0.1 s = 10 s
        if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "--- 127.0.0.1:$port does not accept connections; log tail:" >&2
    tail -n 40 "$@" >&2 2>/dev/null || true
    die "port $port not ready after 10 s"
}
for p in "$POSTFIX_PLAIN_PORT" "$POSTFIX_SUBMISSION_PORT" "$POSTFIX_TLS_PORT" "$POSTFIX_SUBMISSIONS_PORT" \
    "$POSTFIX_EXPIRED_PORT" "$POSTFIX_SELFSIGNED_PORT" "$POSTFIX_WRONGHOST_PORT"; do
    wait_tcp "$p" "$PF/postfix.log"
done
for p in "$EXIM_PORT" "$EXIM_PLAINAUTH_PORT" "$EXIM_CRAM_PORT"; do
    wait_tcp "$p" "$EX/log/paniclog" "$EX/log/mainlog"
done
wait_tcp "$DNS_PORT" "$DNS/dnsmasq.log"
ok=0
for _ in $(seq 1 50); do
    if dig @127.0.0.1 -p "$DNS_PORT" +norec +time=1 +tries=1 +short test.example SOA 2>/dev/null | grep -q .; then
        ok=1
        break
    fi
    sleep 0.1
done
[ "$ok" = 1 ] || { tail -n 20 "$DNS/dnsmasq.log" >&2; die "dnsmasq does not answer on udp/$DNS_PORT"; }

# A server that accepts TCP is not necessarily greeting: read each SMTP banner once.
for p in "$POSTFIX_PLAIN_PORT" "$POSTFIX_SUBMISSION_PORT" "$POSTFIX_EXPIRED_PORT" "$POSTFIX_SELFSIGNED_PORT" \
    "$POSTFIX_WRONGHOST_PORT" "$EXIM_PORT" "$EXIM_PLAINAUTH_PORT" "$EXIM_CRAM_PORT"; do
    # shellcheck disable=SC2016 # $1 and $line expand in the inner shell
    banner="$(timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; IFS= read -r -t 8 line <&3; printf "QUIT\r\n" >&3; printf "%s" "$line"' _ "$p" 2>/dev/null || true)"
    case "$banner" in
        220*) ;;
        *) tail -n 30 "$PF/postfix.log" "$EX/log/mainlog" "$EX/log/paniclog" >&2 2>/dev/null || true
           die "no SMTP banner on port $p (got: '$banner')" ;;
    esac
done

# ---------------------------------------------------------------------------------------------
# 8. The env file
# ---------------------------------------------------------------------------------------------
cat >"$STATE_DIR/env.new" <<EOF
SMTP_DOCTOR_REAL_DIR=$STATE_DIR
SERVER_HOST=127.0.0.1
SERVER_NAME=mail.test.example
MAIL_DOMAIN=test.example
POSTFIX_PLAIN_PORT=$POSTFIX_PLAIN_PORT
POSTFIX_SUBMISSION_PORT=$POSTFIX_SUBMISSION_PORT
POSTFIX_TLS_PORT=$POSTFIX_TLS_PORT
POSTFIX_SUBMISSIONS_PORT=$POSTFIX_SUBMISSIONS_PORT
POSTFIX_EXPIRED_PORT=$POSTFIX_EXPIRED_PORT
POSTFIX_SELFSIGNED_PORT=$POSTFIX_SELFSIGNED_PORT
POSTFIX_WRONGHOST_PORT=$POSTFIX_WRONGHOST_PORT
EXIM_PORT=$EXIM_PORT
EXIM_PLAINAUTH_PORT=$EXIM_PLAINAUTH_PORT
EXIM_CRAM_PORT=$EXIM_CRAM_PORT
DNS_PORT=$DNS_PORT
DNS_SERVER=127.0.0.1:$DNS_PORT
CA_FILE=$CERTS/ca.crt
VALID_CERT=$CERTS/valid.crt
EXPIRED_CERT=$CERTS/expired.crt
SELFSIGNED_CERT=$CERTS/selfsigned.crt
WRONGHOST_CERT=$CERTS/wronghost.crt
AUTH_USER=$AUTH_USER
AUTH_PASSWORD=$AUTH_PASSWORD
LOCAL_RCPT=user@test.example
LOCAL_RCPT2=other@test.example
UNKNOWN_RCPT=nobody@test.example
GREYLIST_RCPT=greylist@test.example
BLOCKED_RCPT=blocked@test.example
RELAY_RCPT=x@other.example
POSTFIX_MAILDIR=$MAIL/postfix/test.example/user/new
POSTFIX_OTHER_MAILDIR=$MAIL/postfix/test.example/other/new
POSTFIX_POSTMASTER_MAILDIR=$MAIL/postfix/test.example/postmaster/new
EXIM_MAILBOX=$MAIL/exim/user/Maildir/new
EXIM_MAILDIR=$MAIL/exim/user/Maildir/new
POSTFIX_LOG=$PF/postfix.log
EXIM_LOG=$EX/log/mainlog
EXIM_REJECT_LOG=$EX/log/rejectlog
DNS_LOG=$DNS/dnsmasq.log
EOF
chmod 644 "$STATE_DIR/env.new"
mv "$STATE_DIR/env.new" "$STATE_DIR/env"

log "real servers ready in $(elapsed) s; env file: $STATE_DIR/env"
