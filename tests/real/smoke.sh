#!/usr/bin/env bash
# Smoke test of the real-server environment started by tests/real/setup.sh, with swaks, openssl
# and dig only (no smtp-doctor code). Prints one line per check; exits 1 if any check failed.
# (The summary line deliberately does not read like a test runner's 'N passed, N failed'.)
set -euo pipefail

STATE_DIR="${SMTP_DOCTOR_REAL_DIR:-/tmp/smtp-doctor-real}"
ENV_FILE="$STATE_DIR/env"
[ -r "$ENV_FILE" ] || { echo "no env file $ENV_FILE: run tests/real/setup.sh first" >&2; exit 1; }
set -a
# shellcheck disable=SC1090
. "$ENV_FILE"
set +a

PASS=0
FAIL=0
OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT
TAG="smoke-$$-$(date +%s)"

check() { # NAME PATTERN COMMAND... : run COMMAND, pass if its output matches the ERE PATTERN
    local name="$1" pattern="$2"
    shift 2
    "$@" >"$OUT" 2>&1 || true
    if grep -qE -- "$pattern" "$OUT"; then
        PASS=$((PASS + 1))
        echo "ok   $name"
    else
        FAIL=$((FAIL + 1))
        echo "FAIL $name (wanted /$pattern/); output:"
        sed 's/^/     | /' "$OUT" | tail -n 25
    fi
}

absent() { # NAME PATTERN COMMAND... : pass if the output does NOT match
    local name="$1" pattern="$2"
    shift 2
    "$@" >"$OUT" 2>&1 || true
    if grep -qE -- "$pattern" "$OUT"; then
        FAIL=$((FAIL + 1))
        echo "FAIL $name (did not want /$pattern/); output:"
        sed 's/^/     | /' "$OUT" | tail -n 25
    else
        PASS=$((PASS + 1))
        echo "ok   $name"
    fi
}

delivered() { # NAME DIR SUBJECT : pass when a message with SUBJECT appears in DIR within 10 s
    local name="$1" dir="$2" subject="$3" _
    for _ in $(seq 1 100); do
        if grep -rqsF -- "Subject: $subject" "$dir"; then
            PASS=$((PASS + 1))
            echo "ok   $name"
            return
        fi
        sleep 0.1
    done
    FAIL=$((FAIL + 1))
    echo "FAIL $name (no message with Subject: $subject in $dir)"
}

S=(swaks --hide-informational --timeout 15 --from "sender@client.example" --ehlo client.example)
TLSV=(--tls-verify --tls-ca-path "$CA_FILE" --tls-sni mail.test.example)
AUTH=(-au "$AUTH_USER" -ap "$AUTH_PASSWORD")
H=127.0.0.1

# --- Postfix 10025 -----------------------------------------------------------------------------
check "10025 offers STARTTLS, no AUTH" '250.STARTTLS' "${S[@]}" -s "$H:$POSTFIX_PLAIN_PORT" --quit-after EHLO
absent "10025 does not offer AUTH" 'AUTH' "${S[@]}" -s "$H:$POSTFIX_PLAIN_PORT" --quit-after EHLO
check "10025 plain delivery accepted" '250 2.0.0 Ok: queued' "${S[@]}" -s "$H:$POSTFIX_PLAIN_PORT" \
    -t "$LOCAL_RCPT" --header "Subject: $TAG-pf-plain"
delivered "10025 plain delivery lands in POSTFIX_MAILDIR" "$POSTFIX_MAILDIR" "$TAG-pf-plain"
check "10025 STARTTLS (verified) delivery" '250 2.0.0 Ok: queued' "${S[@]}" -s "$H:$POSTFIX_PLAIN_PORT" \
    --tls "${TLSV[@]}" -t "$LOCAL_RCPT2" --header "Subject: $TAG-pf-tls"
delivered "10025 STARTTLS delivery lands in POSTFIX_OTHER_MAILDIR" "$POSTFIX_OTHER_MAILDIR" "$TAG-pf-tls"
check "10025 unknown user 550 5.1.1" '550 5\.1\.1 .*User unknown in virtual mailbox table' \
    "${S[@]}" -s "$H:$POSTFIX_PLAIN_PORT" -t "$UNKNOWN_RCPT" --quit-after RCPT
check "10025 relay denied 554 5.7.1" '554 5\.7\.1 .*Relay access denied' \
    "${S[@]}" -s "$H:$POSTFIX_PLAIN_PORT" -t "$RELAY_RCPT" --quit-after RCPT
check "10025 greylist 451 4.7.1" '451 4\.7\.1 .*Greylisted, try again later' \
    "${S[@]}" -s "$H:$POSTFIX_PLAIN_PORT" -t "$GREYLIST_RCPT" --quit-after RCPT
check "10025 blocked 550 5.7.1" '550 5\.7\.1 .*blocked by policy' \
    "${S[@]}" -s "$H:$POSTFIX_PLAIN_PORT" -t "$BLOCKED_RCPT" --quit-after RCPT

# --- Postfix 10587 submission ------------------------------------------------------------------
check "10587 MAIL before STARTTLS: 530 5.7.0" '530 5\.7\.0 Must issue a STARTTLS command first' \
    "${S[@]}" -s "$H:$POSTFIX_SUBMISSION_PORT" -t "$LOCAL_RCPT" --quit-after MAIL
absent "10587 no AUTH before TLS" '^<-  250.AUTH' "${S[@]}" -s "$H:$POSTFIX_SUBMISSION_PORT" --quit-after EHLO
check "10587 AUTH PLAIN LOGIN after TLS" '250.AUTH PLAIN LOGIN' \
    "${S[@]}" -s "$H:$POSTFIX_SUBMISSION_PORT" --tls --quit-after AUTH
check "10587 unauthenticated RCPT 554 Access denied" '554 5\.7\.1 .*Access denied' \
    "${S[@]}" -s "$H:$POSTFIX_SUBMISSION_PORT" --tls -t "$LOCAL_RCPT" --quit-after RCPT
for m in PLAIN LOGIN; do
    check "10587 AUTH $m + delivery" '235 2\.7\.0 Authentication successful' \
        "${S[@]}" -s "$H:$POSTFIX_SUBMISSION_PORT" --tls "${TLSV[@]}" -a "$m" "${AUTH[@]}" \
        -t "$LOCAL_RCPT" --header "Subject: $TAG-pf-sub-$m"
    delivered "10587 AUTH $m message lands" "$POSTFIX_MAILDIR" "$TAG-pf-sub-$m"
done
check "10587 AUTH as user@realm" '235 2\.7\.0' "${S[@]}" -s "$H:$POSTFIX_SUBMISSION_PORT" --tls -a PLAIN \
    -au "$AUTH_USER@test.example" -ap "$AUTH_PASSWORD" --quit-after AUTH
check "10587 wrong password 535 5.7.8" '535 5\.7\.8' "${S[@]}" -s "$H:$POSTFIX_SUBMISSION_PORT" --tls \
    -a PLAIN -au "$AUTH_USER" -ap wrong-password --quit-after AUTH
check "10587 authenticated relay accepted (then discarded)" '250 2\.0\.0 Ok: queued' \
    "${S[@]}" -s "$H:$POSTFIX_SUBMISSION_PORT" --tls -a PLAIN "${AUTH[@]}" -t "$RELAY_RCPT"

# --- Postfix 10465 / 10466 implicit TLS ----------------------------------------------------------
check "10465 implicit TLS delivery" '250 2\.0\.0 Ok: queued' "${S[@]}" -s "$H:$POSTFIX_TLS_PORT" --tlsc "${TLSV[@]}" \
    -t "$LOCAL_RCPT" --header "Subject: $TAG-pf-465"
delivered "10465 message lands" "$POSTFIX_MAILDIR" "$TAG-pf-465"
absent "10465 does not offer AUTH" 'AUTH' "${S[@]}" -s "$H:$POSTFIX_TLS_PORT" --tlsc --quit-after EHLO
check "10466 implicit TLS + AUTH PLAIN" '235 2\.7\.0' "${S[@]}" -s "$H:$POSTFIX_SUBMISSIONS_PORT" --tlsc "${TLSV[@]}" \
    -a PLAIN "${AUTH[@]}" --quit-after AUTH

# --- certificates -------------------------------------------------------------------------------
sclient() { # PORT [extra args]
    local port="$1"
    shift
    echo QUIT | timeout 15 openssl s_client -connect "$H:$port" -CAfile "$CA_FILE" -servername mail.test.example \
        -verify_hostname mail.test.example "$@" 2>&1
}
check "10025 cert verifies (name)" 'Verify return code: 0 \(ok\)' sclient "$POSTFIX_PLAIN_PORT" -starttls smtp
check "10025 cert verifies (IP 127.0.0.1)" 'Verify return code: 0 \(ok\)' sclient "$POSTFIX_PLAIN_PORT" -starttls smtp -verify_ip 127.0.0.1
check "10465 cert verifies" 'Verify return code: 0 \(ok\)' sclient "$POSTFIX_TLS_PORT"
check "10026 cert is expired" 'Verify return code: 10 \(certificate has expired\)' sclient "$POSTFIX_EXPIRED_PORT" -starttls smtp
check "10027 cert is self-signed" 'Verify return code: 18 \(self-signed certificate\)' sclient "$POSTFIX_SELFSIGNED_PORT" -starttls smtp
check "10028 cert is for the wrong host" 'Verify return code: 62 \(hostname mismatch\)' sclient "$POSTFIX_WRONGHOST_PORT" -starttls smtp
check "11025 cert verifies" 'Verify return code: 0 \(ok\)' sclient "$EXIM_PORT" -starttls smtp

# --- Exim ---------------------------------------------------------------------------------------
for ext in STARTTLS CHUNKING PIPELINING SMTPUTF8; do
    check "11025 advertises $ext" "250.$ext" "${S[@]}" -s "$H:$EXIM_PORT" --quit-after EHLO
done
absent "11025 no AUTH before TLS" 'AUTH' "${S[@]}" -s "$H:$EXIM_PORT" --quit-after EHLO
check "11025 AUTH PLAIN LOGIN after TLS" '250.AUTH PLAIN LOGIN$' "${S[@]}" -s "$H:$EXIM_PORT" --tls --quit-after AUTH
for m in PLAIN LOGIN; do
    check "11025 AUTH $m + delivery" '235 Authentication succeeded' "${S[@]}" -s "$H:$EXIM_PORT" --tls "${TLSV[@]}" \
        -a "$m" "${AUTH[@]}" -t "$LOCAL_RCPT" --header "Subject: $TAG-ex-$m"
    delivered "11025 AUTH $m message lands in EXIM_MAILBOX" "$EXIM_MAILBOX" "$TAG-ex-$m"
done
check "11025 wrong password 535" '535 Incorrect authentication data' "${S[@]}" -s "$H:$EXIM_PORT" --tls \
    -a PLAIN -au "$AUTH_USER" -ap wrong-password --quit-after AUTH
check "11025 unknown user 550" '550 Unrouteable address' "${S[@]}" -s "$H:$EXIM_PORT" -t "$UNKNOWN_RCPT" --quit-after RCPT
check "11025 relay denied 550" '550 relay not permitted' "${S[@]}" -s "$H:$EXIM_PORT" -t "$RELAY_RCPT" --quit-after RCPT
check "11026 AUTH advertised without TLS" '250.AUTH PLAIN LOGIN' "${S[@]}" -s "$H:$EXIM_PLAINAUTH_PORT" --quit-after EHLO
absent "11026 no STARTTLS" 'STARTTLS' "${S[@]}" -s "$H:$EXIM_PLAINAUTH_PORT" --quit-after EHLO
check "11027 AUTH CRAM-MD5 after TLS" '235 Authentication succeeded' "${S[@]}" -s "$H:$EXIM_CRAM_PORT" --tls \
    -a CRAM-MD5 "${AUTH[@]}" --quit-after AUTH

# --- DNS ----------------------------------------------------------------------------------------
q() { dig @127.0.0.1 -p "$DNS_PORT" +norec +time=2 +tries=2 "$@"; }
check "dns test.example MX 10 mx1" '^test\.example\..*MX	10 mx1\.test\.example\.' q test.example MX
check "dns test.example MX 20 mx2" '^test\.example\..*MX	20 mx2\.test\.example\.' q test.example MX
check "dns answers are authoritative" 'flags: qr aa;' q test.example MX
for n in mx1 mx2 mail implicit; do
    check "dns $n.test.example A" "^$n\\.test\\.example\\..*A	127\\.0\\.0\\.1" q "$n.test.example" A
done
check "dns nullmx MX 0 ." '^nullmx\.test\.example\..*MX	0 \.$' q nullmx.test.example MX
check "dns implicit has no MX (NOERROR)" 'status: NOERROR' q implicit.test.example MX
check "dns implicit MX answer empty" 'ANSWER: 0,' q implicit.test.example MX
check "dns single MX 10 mail" '^single\.test\.example\..*MX	10 mail\.test\.example\.' q single.test.example MX
check "dns cname-mx MX 10 alias" '^cname-mx\.test\.example\..*MX	10 alias\.test\.example\.' q cname-mx.test.example MX
check "dns alias CNAME mail" '^alias\.test\.example\..*CNAME	mail\.test\.example\.' q alias.test.example A
check "dns _submission SRV" 'SRV	0 1 10587 mail\.test\.example\.' q _submission._tcp.test.example SRV
check "dns _submissions SRV" 'SRV	0 1 10465 mail\.test\.example\.' q _submissions._tcp.test.example SRV
check "dns PTR 127.0.0.1" 'PTR	mail\.test\.example\.' q -x 127.0.0.1
check "dns NXDOMAIN under test.example" 'status: NXDOMAIN' q nosuchname.test.example A
check "dns over TCP" 'MX	10 mx1\.test\.example\.' q +tcp test.example MX
check "dns refuses other zones (never forwards)" 'status: REFUSED' q example.com A

echo "real-server smoke checks: $PASS ok, $FAIL failing"
[ "$FAIL" -eq 0 ]
