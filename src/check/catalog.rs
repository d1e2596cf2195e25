//! The findings a check can report, as data: each id with its default severity, a title, why
//! it matters (citing the RFC the rule comes from) and what to do. Ids are a public interface
//! (scripts match on them; README.md lists them); the logic that raises them is in
//! [`super::findings`].

use serde::Serialize;

/// How bad a finding is. Errors fail the check (exit 1); warnings and information do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// One kind of finding.
#[derive(Debug)]
pub struct Kind {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub why: &'static str,
    pub fix: &'static [&'static str],
}

macro_rules! kinds {
    ($( $name:ident = $id:literal, $sev:ident, $title:literal, $why:literal, [$($fix:literal),* $(,)?]; )*) => {
        $( pub const $name: Kind = Kind { id: $id, severity: Severity::$sev, title: $title, why: $why, fix: &[$($fix),*] }; )*
        /// Every kind, in documentation order.
        #[cfg(test)]
        pub const ALL: &[&Kind] = &[$(&$name),*];
    };
}

kinds! {
    // --- DNS -----------------------------------------------------------------------------
    NULL_MX = "null-mx", Error,
        "the domain publishes a null MX: it accepts no mail",
        "A lone `MX 0 .` record (RFC 7505) declares that the domain accepts no mail at all; senders bounce at once instead of trying its address.",
        ["If the domain should receive mail, replace the null MX with MX records naming its mail servers.",
         "If it should not, nothing is wrong: this is the right way to say so."];
    DNS_NXDOMAIN = "dns-nxdomain", Error,
        "the domain does not exist (NXDOMAIN)",
        "The DNS says no such name exists, so no mail can be sent to it.",
        ["Check the spelling of the domain.",
         "For a new domain, check its delegation (the registrar's NS records) and that its zone is loaded."];
    DNS_NO_MAIL_SERVERS = "dns-no-mail-servers", Error,
        "the domain has no mail servers",
        "Without MX records RFC 5321 §5.1 lets senders use the domain's own A/AAAA records (implicit MX); this domain has neither usable MX hosts nor an address, so mail cannot be delivered.",
        ["Publish MX records naming the mail servers, and A/AAAA records for those hosts."];
    DNS_SERVFAIL = "dns-servfail", Error,
        "the resolver answered SERVFAIL",
        "SERVFAIL means the zone cannot be resolved: its name servers fail or disagree, or DNSSEC validation fails. Senders treat it as temporary, queue the mail and bounce it days later.",
        ["Query each authoritative server directly (dig +dnssec @ns DOMAIN MX) and fix expired signatures or a lame delegation.",
         "Compare with another resolver: --dns-server IP."];
    DNS_TIMEOUT = "dns-timeout", Error,
        "the resolver did not answer in time",
        "No answer came from the resolver. Senders retry later, so mail is delayed; if the authoritative servers are unreachable it will eventually bounce.",
        ["Retry, or ask another resolver with --dns-server IP.",
         "Check that the domain's name servers answer over UDP and TCP port 53."];
    DNS_ERROR = "dns-error", Error,
        "the DNS lookup failed",
        "The mail servers of the domain could not be looked up.",
        ["Check the resolver (or name one with --dns-server IP) and retry."];
    MX_NO_ADDRESS = "mx-no-address", Warning,
        "an MX host has no address",
        "Senders skip an MX host whose name has no A/AAAA record (RFC 5321 §5.1) and try the next; a dangling MX only adds delay, and if every MX is like this no mail arrives.",
        ["Add A/AAAA records for the host, or remove the MX record that names it."];
    MX_IS_CNAME = "mx-is-cname", Warning,
        "an MX host name is an alias (CNAME)",
        "RFC 2181 §10.3 and RFC 5321 §5.1 require the MX target to be a name with address records, not an alias. Most senders follow the alias anyway, but some refuse, and certificate checks (MTA-STS, DANE) use the MX name.",
        ["Point the MX record at the canonical name (the CNAME's target) directly."];
    MX_IS_IP_LITERAL = "mx-is-ip-literal", Warning,
        "an MX record names an IP address instead of a host",
        "An MX target must be a host name (RFC 5321 §5.1, RFC 1035 §3.3.9); `MX 10 192.0.2.1` is a name made of digits, which strict senders look up as a name and do not find.",
        ["Give the server a host name with an A/AAAA record and use that name in the MX."];
    IMPLICIT_MX = "implicit-mx", Warning,
        "no MX records: mail goes to the domain's own address (implicit MX)",
        "RFC 5321 §5.1 lets senders fall back to the domain's A/AAAA records when it has no MX. It works, but it is fragile: whatever runs on that address (often a web server) receives the mail traffic, and some senders do not fall back.",
        ["Publish an explicit MX record (MX 10 mail.example.com).",
         "If the domain should not receive mail, publish a null MX (MX 0 .) as RFC 7505 describes."];
    SINGLE_MX = "single-mx", Info,
        "the domain has a single MX host",
        "When it is down, senders queue and retry for days (RFC 5321 §4.5.4.1), so mail is delayed rather than lost. A second MX adds redundancy, provided it is as well maintained (and filtered) as the first.",
        ["Optional: add a second MX host with a higher preference value."];
    SRV_LOOKUP_FAILED = "srv-lookup-failed", Info,
        "a submission SRV lookup failed",
        "The SRV records that tell mail clients where to submit (RFC 6186, RFC 8314 §5.1) could not be looked up, so they were not probed.",
        ["Check the zone's SRV records for _submission._tcp and _submissions._tcp."];
    NO_PTR = "no-ptr", Warning,
        "an address has no reverse DNS (PTR)",
        "Receivers look up the PTR of the servers that connect to them; mail from an address without one is often refused or sent to spam (Gmail and Microsoft require it). Incoming mail is not affected, but an MX host usually sends mail too (bounces, forwards).",
        ["Ask whoever holds the address block (the hosting provider) to set a PTR naming the server, and make that name resolve back to the address."];
    PTR_NOT_CONFIRMED = "ptr-not-confirmed", Warning,
        "the PTR name does not resolve back to the address",
        "Forward-confirmed reverse DNS (FCrDNS) means the PTR name has an A/AAAA record with the same address. Receivers that check it treat a mismatch like a missing PTR.",
        ["Add an A/AAAA record for the PTR name pointing at this address, or change the PTR to a name that has one."];
    PTR_LOOKUP_FAILED = "ptr-lookup-failed", Info,
        "the reverse DNS lookup failed",
        "The PTR of the address could not be looked up, so reverse DNS was not checked.",
        ["Retry, or ask another resolver with --dns-server IP."];
    PTR_NAME_MISMATCH = "ptr-name-mismatch", Warning,
        "the server's greeting or EHLO name differs from its PTR name",
        "A server names itself in its greeting and EHLO reply (RFC 5321 §4.2, §4.1.1.1). When that name is not the PTR name of its address, the same name used in its own outgoing HELO fails receivers' checks, and logs, certificates and DNS disagree about who the server is.",
        ["Set the MTA's host name (Postfix myhostname, Exim primary_hostname) to the PTR name, or change the PTR to match it."];

    // --- Connecting ---------------------------------------------------------------------
    CONNECT_REFUSED = "connect-refused", Warning,
        "connection refused",
        "The address answered and refused the port: nothing listens there, or a firewall rejects it. The network path itself works.",
        ["Start the service on this port, or open the port in the host's firewall.",
         "If this port is not meant to be offered here, nothing is wrong."];
    CONNECT_TIMEOUT = "connect-timeout", Warning,
        "no answer to the connection (timed out)",
        "The connection attempt got no answer at all: a firewall drops it silently, the host is down, or (very often for port 25) the network the check runs from blocks outbound port 25.",
        ["Check the server's firewall for this port.",
         "Test from another network: many ISPs and cloud providers (AWS, Azure, Google Cloud, residential lines) block outbound port 25.",
         "If the path is merely slow, raise --connect-timeout."];
    CONNECT_FAILED = "connect-failed", Warning,
        "the connection failed",
        "The address could not be reached (no route, network unreachable, or another local error).",
        ["Check routing to the address, and IPv6 connectivity for an IPv6 address (-4 restricts the check to IPv4)."];
    NO_MX_REACHABLE = "no-mx-reachable", Error,
        "no mail server is reachable on the SMTP port",
        "Senders cannot deliver when no MX host accepts connections on port 25. Tell your network from a dead server: `refused` means the path is open and the server is not listening; a timeout on every MX host, while port 25 of other domains' MX hosts also times out from here, means your network blocks outbound port 25, as many ISPs and cloud networks do.",
        ["Run the check from a network that allows outbound port 25 (the server's own network, or a VPS without port-25 filtering).",
         "If connections are refused, start the mail server or open port 25 in its firewall."];

    // --- The session --------------------------------------------------------------------
    GREETING_REFUSED = "greeting-refused", Error,
        "the server refused the session in its greeting",
        "A 554 greeting means \"no SMTP service here\" for this client (RFC 5321 §3.1), often a blocklist or a connection limit; a 421 means the server is closing for now (§3.8). Senders treated the same way cannot deliver.",
        ["Read the greeting and its explanation: it usually names the reason (blocklisted address, too many connections).",
         "Look for this client's address in the server's log."];
    GREETING_DELAY = "greeting-delay", Info,
        "the greeting was delayed",
        "Some servers wait before greeting to catch spam software that talks first (Postfix postscreen, Exim's pipelining checks). RFC 5321 §4.5.3.2.1 gives clients 5 minutes for the greeting, so real senders wait; only impatient clients give up.",
        ["Nothing to do if it is deliberate; otherwise look for slow DNS lookups (reverse DNS, blocklists) or an overloaded server."];
    EHLO_REFUSED = "ehlo-refused", Error,
        "the server refused EHLO",
        "Without EHLO (RFC 5321 §4.1.1.1) there are no extensions: no STARTTLS, no AUTH, no SIZE. A server that refuses EHLO is either very old or refuses this client (its EHLO name, its address).",
        ["Read the reply and its explanation; check the server's HELO/EHLO restrictions (Postfix smtpd_helo_restrictions).",
         "Try a real host name for this client with --ehlo NAME."];
    SESSION_FAILED = "session-failed", Error,
        "the SMTP session failed",
        "The server did not complete a basic SMTP exchange: it stayed silent, closed the connection, or sent something that is not SMTP. The phase tells where.",
        ["Read the error and the transcript (-v); a server that expects TLS from the first byte closes plaintext sessions (or sends TLS records) at the greeting."];

    // --- TLS ----------------------------------------------------------------------------
    NO_STARTTLS = "no-starttls", Error,
        "STARTTLS is not offered",
        "Without STARTTLS (RFC 3207) mail to and from this server travels in cleartext; senders with an MTA-STS or DANE policy refuse to deliver, and on a submission port clients would send passwords in the clear (RFC 8314 §3.3). A firewall doing \"SMTP inspection\" can also strip STARTTLS from the EHLO reply.",
        ["Enable STARTTLS with a certificate for the server's name (Postfix: smtpd_tls_security_level = may and smtpd_tls_chain_files; Exim: tls_certificate and tls_advertise_hosts = *).",
         "If other networks see STARTTLS, something on the path strips it: check for SMTP inspection on firewalls."];
    STARTTLS_FAILED = "starttls-failed", Error,
        "STARTTLS is advertised but fails",
        "The server offers STARTTLS and then refuses it (454, RFC 3207 §4) or the handshake fails. Senders then fall back to cleartext or, with MTA-STS or DANE, do not deliver at all.",
        ["Check the server's TLS configuration and log: a missing or unreadable key or certificate file is the usual cause of 454."];
    TLS_HANDSHAKE_FAILED = "tls-handshake-failed", Error,
        "the TLS handshake failed on the implicit-TLS port",
        "This port expects TLS from the first byte (RFC 8314 §3). A failing handshake usually means the port speaks plaintext SMTP (use it with STARTTLS, or move it to 587) or the server's TLS setup is broken.",
        ["Check what the port speaks: openssl s_client -connect HOST:PORT.",
         "Fix the TLS configuration of the service on this port."];
    STARTTLS_INJECTION = "starttls-injection", Error,
        "the server sent data between its 220 to STARTTLS and the handshake",
        "RFC 3207 §4.2 requires the client to discard anything received before TLS; a server or middlebox that sends it is broken or under a command-injection attack (CVE-2011-0411). smtp-doctor discarded it.",
        ["Upgrade the MTA, and look for a middlebox rewriting the SMTP session."];
    STARTTLS_STILL_ADVERTISED = "starttls-still-advertised", Warning,
        "STARTTLS is still advertised inside TLS",
        "RFC 3207 §4.2: a server must not offer STARTTLS again once TLS is up. Most clients ignore it, but it shows a broken TLS layer or proxy.",
        ["Fix or upgrade the MTA or the TLS proxy in front of it."];
    TLS_VERSION_OLD = "tls-version-old", Error,
        "the server offers only TLS below 1.2",
        "TLS 1.0 and 1.1 are deprecated (RFC 8996); RFC 8314 §4.1 and RFC 9325 require TLS 1.2 or newer, and current clients (smtp-doctor included) refuse the older versions.",
        ["Enable TLS 1.2 and 1.3 (Postfix: smtpd_tls_protocols = >=TLSv1.2; Exim: openssl_options), and upgrade the TLS library if it lacks them."];

    // --- Certificates -------------------------------------------------------------------
    CERT_EXPIRED = "cert-expired", Error,
        "the certificate has expired",
        "An expired certificate fails verification: MTA-STS and DANE senders will not deliver, and mail clients refuse to connect.",
        ["Renew the certificate and reload the MTA (with ACME, check that the renewal hook reloads it)."];
    CERT_EXPIRING_SOON = "cert-expiring-soon", Warning,
        "the certificate expires within 14 days",
        "Once it expires, verifying senders and mail clients will refuse the connection.",
        ["Renew the certificate now, and check that automatic renewal (and the reload after it) works."];
    CERT_NOT_YET_VALID = "cert-not-yet-valid", Error,
        "the certificate is not valid yet",
        "Its validity starts in the future: the server's or this machine's clock is wrong, or a certificate was installed too early.",
        ["Check the clocks (NTP) on the server and here; install a certificate that is valid now."];
    CERT_UNTRUSTED = "cert-untrusted", Error,
        "the certificate is not signed by a trusted authority",
        "The chain does not lead to a trusted root: a private CA, or a missing intermediate certificate. Verifying senders (MTA-STS) and mail clients reject it.",
        ["Serve the full chain (leaf and intermediates), e.g. Postfix smtpd_tls_chain_files with fullchain.pem.",
         "Use a certificate from a public CA; for a private CA, test with --ca-file PEM."];
    CERT_SELF_SIGNED = "cert-self-signed", Error,
        "the certificate is self-signed",
        "Nobody vouches for a self-signed certificate: verifying senders (MTA-STS) and mail clients reject it, and anyone on the path could present one just like it.",
        ["Get a certificate from a public CA (Let's Encrypt works for mail servers), or pin it with DANE TLSA records."];
    CERT_NAME_MISMATCH = "cert-name-mismatch", Error,
        "the certificate does not match the server name",
        "The certificate is valid, but not for the name the server was reached by (the MX host name; RFC 6125, RFC 7817 §3). Verifying senders and mail clients reject it.",
        ["Get a certificate whose subject alternative names include the MX host name.",
         "Or point the MX at a name the certificate covers."];
    CERT_INVALID = "cert-invalid", Error,
        "the certificate is invalid",
        "Certificate verification failed for another reason (revoked, bad signature, wrong usage).",
        ["Read the verification error below and replace the certificate."];

    // --- Authentication -----------------------------------------------------------------
    AUTH_BEFORE_TLS = "auth-before-tls", Error,
        "AUTH is offered before TLS",
        "The server offers authentication on an unencrypted connection, so a client may send its password in the clear (PLAIN and LOGIN are only base64). RFC 8314 §3.3 and RFC 4954 §4 want TLS first.",
        ["Offer AUTH only inside TLS (Postfix: smtpd_tls_auth_only = yes; Exim: auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}})."];
    SUBMISSION_NO_AUTH = "submission-no-auth", Warning,
        "the submission port offers no AUTH",
        "Mail clients authenticate to submit mail (RFC 6409 §4.3, RFC 4954); without AUTH this port only works for clients trusted by address.",
        ["Enable SASL authentication on the submission service (Postfix master.cf: -o smtpd_sasl_auth_enable=yes)."];

    // --- Across hosts -------------------------------------------------------------------
    SUBMISSION_NOT_OFFERED = "submission-not-offered", Info,
        "no host offers message submission with STARTTLS (port 587)",
        "Mail clients submit on 587 (RFC 6409) or 465 (RFC 8314). MX hosts often do not offer it: submission may live on another host, which SRV records can name (_submission._tcp, RFC 6186).",
        ["If users send mail through this domain's servers, check the submission host: smtp-doctor check --server HOST --ports 587,465."];
    IMPLICIT_TLS_NOT_OFFERED = "implicit-tls-not-offered", Info,
        "no host offers submission over implicit TLS (port 465)",
        "RFC 8314 §3.3 recommends implicit TLS on port 465 for submission; MX hosts often leave it to a separate submission host (_submissions._tcp SRV, RFC 8314 §5.1).",
        ["If users submit mail here, offer port 465 with TLS (Postfix: the submissions service in master.cf with smtpd_tls_wrappermode=yes)."];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for k in ALL {
            assert!(seen.insert(k.id), "duplicate id {}", k.id);
            assert!(
                k.id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            );
            assert!(
                !k.why.is_empty() && !k.fix.is_empty(),
                "{} needs why and fix",
                k.id
            );
        }
        // The ids are documented in README.md (section "check").
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let doc = std::fs::read_to_string(root.join("README.md")).expect("README.md");
        for k in ALL {
            assert!(
                doc.contains(&format!("`{}`", k.id)),
                "the check docs do not list `{}`",
                k.id
            );
        }
    }
}
