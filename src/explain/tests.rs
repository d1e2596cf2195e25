//! Tests of the knowledge base and the matcher: the data validates, every registered enhanced
//! code decodes with its registered title, unknown codes degrade gracefully, real reply lines
//! from the collected sources match the expected known message, and context rules apply.

use super::extract::reply_from_flat;
use super::kb::{self, EntryKind};
use super::*;
use std::collections::BTreeMap;

fn reply(line: &str) -> Reply {
    reply_from_flat(line).unwrap_or_else(|| panic!("not a reply line: {line}"))
}

fn explain_line(line: &str) -> Explanation {
    explain(&reply(line), &Context::default())
}

fn ctx(command: &str) -> Context {
    Context {
        command: Some(command.into()),
        ..Context::default()
    }
}

#[test]
fn kb_is_valid() {
    if let Err(errors) = kb::load() {
        panic!(
            "{} problems in the knowledge base:\n{}",
            errors.len(),
            errors.join("\n")
        );
    }
}

#[test]
fn kb_entries_have_unique_ids_sources_fixes_and_compiled_patterns() {
    let kb = kb::get();
    let mut seen = std::collections::HashSet::new();
    for e in &kb.entries {
        assert!(seen.insert(&e.id), "duplicate id {}", e.id);
        assert!(!e.source.trim().is_empty(), "{} has no source", e.id);
        assert!(!e.fix.is_empty(), "{} has no fix", e.id);
        assert!(
            Category::ALL.contains(&e.category),
            "{} has a category outside SPEC.md",
            e.id
        );
        if e.kind == EntryKind::Known {
            assert!(e.pattern.is_some(), "{} has no pattern", e.id);
        }
        // Patterns compile lazily at run time; here every one of them must compile.
        for p in e.pattern.iter().chain(e.when.greeting.iter()) {
            assert!(p.regex().is_some(), "{}: a pattern does not compile", e.id);
        }
    }
    for b in kb.basic.values() {
        assert!(
            !b.fix.is_empty() && !b.source.is_empty(),
            "basic {} incomplete",
            b.code
        );
    }
}

#[test]
fn kb_has_several_hundred_known_messages() {
    let kb = kb::get();
    let mut per_provider: BTreeMap<&str, usize> = BTreeMap::new();
    for e in kb.entries.iter().filter(|e| e.kind == EntryKind::Known) {
        *per_provider
            .entry(e.provider.as_deref().unwrap_or("?"))
            .or_default() += 1;
    }
    let total: usize = per_provider.values().sum();
    eprintln!("known messages per provider: {per_provider:?} (total {total})");
    assert!(total >= 300, "only {total} known messages");
    for p in [
        "Gmail",
        "Microsoft 365 / Outlook.com",
        "Yahoo / AOL",
        "iCloud Mail",
        "Postfix",
        "Exim",
        "Sendmail",
        "OpenSMTPD",
        "Exchange Server",
        "Mimecast",
        "Proofpoint",
        "Barracuda",
        "Zoho Mail",
    ] {
        assert!(
            per_provider.get(p).copied().unwrap_or(0) > 0,
            "no known messages for {p}"
        );
    }
}

#[test]
fn categories_are_exactly_specs_set() {
    // SPEC.md, "Explanations": the fixed set scripts rely on, in its order.
    let spec = "syntax sequence not-implemented parameter tls-required tls-failure auth-required \
                auth-failed auth-mechanism relay-denied mailbox-unknown mailbox-full mailbox-disabled \
                size rate-limit greylist blocklist-ip blocklist-domain reverse-dns spf dkim dmarc \
                content-spam content-policy sender-rejected helo-rejected null-mx smtputf8 \
                service-unavailable temporary-local too-many-recipients other";
    let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(names, spec.split_whitespace().collect::<Vec<_>>());
    for c in Category::ALL {
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, format!("\"{}\"", c.as_str()));
        let back: Category = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
    }
}

/// Every code of the IANA "SMTP Enhanced Status Codes" registry (as listed in
/// shared/reference/enhanced-codes.md) with its registered title.
const REGISTRY: &[(&str, &str)] = &[
    ("X.0.0", "Other undefined Status"),
    ("X.1.0", "Other address status"),
    ("X.1.1", "Bad destination mailbox address"),
    ("X.1.2", "Bad destination system address"),
    ("X.1.3", "Bad destination mailbox address syntax"),
    ("X.1.4", "Destination mailbox address ambiguous"),
    ("X.1.5", "Destination address valid"),
    (
        "X.1.6",
        "Destination mailbox has moved, No forwarding address",
    ),
    ("X.1.7", "Bad sender's mailbox address syntax"),
    ("X.1.8", "Bad sender's system address"),
    ("X.1.9", "Message relayed to non-compliant mailer"),
    ("X.1.10", "Recipient address has null MX"),
    ("X.2.0", "Other or undefined mailbox status"),
    ("X.2.1", "Mailbox disabled, not accepting messages"),
    ("X.2.2", "Mailbox full"),
    ("X.2.3", "Message length exceeds administrative limit"),
    ("X.2.4", "Mailing list expansion problem"),
    ("X.3.0", "Other or undefined mail system status"),
    ("X.3.1", "Mail system full"),
    ("X.3.2", "System not accepting network messages"),
    ("X.3.3", "System not capable of selected features"),
    ("X.3.4", "Message too big for system"),
    ("X.3.5", "System incorrectly configured"),
    ("X.3.6", "Requested priority was changed"),
    ("X.4.0", "Other or undefined network or routing status"),
    ("X.4.1", "No answer from host"),
    ("X.4.2", "Bad connection"),
    ("X.4.3", "Directory server failure"),
    ("X.4.4", "Unable to route"),
    ("X.4.5", "Mail system congestion"),
    ("X.4.6", "Routing loop detected"),
    ("X.4.7", "Delivery time expired"),
    ("X.5.0", "Other or undefined protocol status"),
    ("X.5.1", "Invalid command"),
    ("X.5.2", "Syntax error"),
    ("X.5.3", "Too many recipients"),
    ("X.5.4", "Invalid command arguments"),
    ("X.5.5", "Wrong protocol version"),
    ("X.5.6", "Authentication Exchange line is too long"),
    ("X.6.0", "Other or undefined media error"),
    ("X.6.1", "Media not supported"),
    ("X.6.2", "Conversion required and prohibited"),
    ("X.6.3", "Conversion required but not supported"),
    ("X.6.4", "Conversion with loss performed"),
    ("X.6.5", "Conversion Failed"),
    ("X.6.6", "Message content not available"),
    (
        "X.6.7",
        "Non-ASCII addresses not permitted for that sender/recipient",
    ),
    (
        "X.6.8",
        "UTF-8 string reply is required, but not permitted by the SMTP client",
    ),
    (
        "X.6.9",
        "UTF-8 header message cannot be transferred to one or more recipients, so the message must be rejected",
    ),
    ("X.7.0", "Other or undefined security status"),
    ("X.7.1", "Delivery not authorized, message refused"),
    ("X.7.2", "Mailing list expansion prohibited"),
    ("X.7.3", "Security conversion required but not possible"),
    ("X.7.4", "Security features not supported"),
    ("X.7.5", "Cryptographic failure"),
    ("X.7.6", "Cryptographic algorithm not supported"),
    ("X.7.7", "Message integrity failure"),
    ("X.7.8", "Authentication credentials invalid"),
    ("X.7.9", "Authentication mechanism is too weak"),
    ("X.7.10", "Encryption Needed"),
    (
        "X.7.11",
        "Encryption required for requested authentication mechanism",
    ),
    ("X.7.12", "A password transition is needed"),
    ("X.7.13", "User Account Disabled"),
    ("X.7.14", "Trust relationship required"),
    ("X.7.15", "Priority Level is too low"),
    ("X.7.16", "Message is too big for the specified priority"),
    ("X.7.17", "Mailbox owner has changed"),
    ("X.7.18", "Domain owner has changed"),
    ("X.7.19", "RRVS test cannot be completed"),
    ("X.7.20", "No passing DKIM signature found"),
    ("X.7.21", "No acceptable DKIM signature found"),
    ("X.7.22", "No valid author-matched DKIM signature found"),
    ("X.7.23", "SPF validation failed"),
    ("X.7.24", "SPF validation error"),
    ("X.7.25", "Reverse DNS validation failed"),
    ("X.7.26", "Multiple authentication checks failed"),
    ("X.7.27", "Sender address has null MX"),
    ("X.7.28", "Mail flood detected"),
    ("X.7.29", "ARC validation failure"),
    ("X.7.30", "REQUIRETLS support required"),
];

#[test]
fn every_registry_code_decodes_with_its_registered_title() {
    let kb = kb::get();
    for (code, title) in REGISTRY {
        for class in [2u8, 4, 5] {
            let e = EnhancedCode::parse(&code.replacen('X', &class.to_string(), 1)).unwrap();
            let d = codes::detail(kb, e).unwrap_or_else(|| panic!("{code} missing"));
            assert_eq!(d.title, *title, "{code}");
            let meaning = codes::enhanced_meaning(kb, e, 0);
            assert!(meaning.starts_with(title), "{e}: {meaning}");
            let class_title = &kb.classes[&class].title;
            assert!(meaning.contains(class_title.as_str()), "{e}: {meaning}");
            let subject_title = &kb.subjects[&e.subject].title;
            assert!(meaning.contains(subject_title.as_str()), "{e}: {meaning}");
        }
    }
    assert!(
        codes::detail(kb, EnhancedCode::parse("5.6.10").unwrap()).is_some(),
        "X.6.10 (deprecated) is listed"
    );
    let registered = kb.details.len();
    assert_eq!(
        registered,
        REGISTRY.len() + 1,
        "the registry has exactly the listed codes plus X.6.10"
    );
}

#[test]
fn every_basic_code_of_rfc5321_and_the_extensions_is_known() {
    let kb = kb::get();
    let rfc5321 = [
        211, 214, 220, 221, 250, 251, 252, 354, 421, 450, 451, 452, 455, 500, 501, 502, 503, 504,
        550, 551, 552, 553, 554, 555,
    ];
    let extensions = [235, 334, 432, 454, 521, 523, 525, 530, 534, 535, 538, 556];
    for code in rfc5321.into_iter().chain(extensions) {
        assert!(kb.basic.contains_key(&code), "{code} missing");
        assert!(
            !codes::code_meaning(kb, code).contains("not a code"),
            "{code}"
        );
    }
}

#[test]
fn unknown_codes_degrade_gracefully() {
    let e = explain_line("559 something odd");
    assert!(e.permanent);
    assert_eq!(e.basis, Basis::Class);
    assert!(
        e.code_meaning.contains("permanent negative completion"),
        "{}",
        e.code_meaning
    );
    assert!(
        e.code_meaning.contains("mail system"),
        "second digit: {}",
        e.code_meaning
    );
    let e = explain_line("599 something odd");
    assert!(e.permanent);
    assert!(
        e.code_meaning.contains("undefined"),
        "second digit: {}",
        e.code_meaning
    );
    assert!(!e.summary.is_empty() && !e.cause.is_empty() && !e.fix.is_empty());

    let e = explain_line("499 who knows");
    assert!(!e.permanent);
    assert!(e.fix.iter().any(|f| f.contains("Retry later")));

    let only_enhanced = Reply {
        code: 0,
        enhanced: EnhancedCode::parse("5.9.9"),
        lines: vec![String::new()],
        line_ends: vec![],
    };
    let e = explain(&only_enhanced, &Context::default());
    assert!(e.permanent);
    let m = e.enhanced_meaning.as_deref().unwrap();
    assert!(
        m.contains("subject 9 is not registered") && m.contains("Permanent Failure"),
        "{m}"
    );
    assert!(!e.summary.is_empty() && !e.fix.is_empty());
    assert_eq!(e.code, 0);
    assert!(
        e.one_line().starts_with("5.9.9 is permanent"),
        "{}",
        e.one_line()
    );

    let e = explain_line("451 4.7.999 unknown detail");
    let m = e.enhanced_meaning.as_deref().unwrap();
    assert!(
        m.contains("detail 999 is not registered under X.7") && m.contains("Security or Policy"),
        "{m}"
    );
    assert!(!e.permanent);

    let e = explain_line("550 4.4.7 Message expired");
    assert!(
        e.enhanced_meaning
            .unwrap()
            .contains("disagrees with the basic code 550")
    );
    assert!(e.permanent, "the basic code decides");
}

#[test]
fn registry_explains_an_enhanced_code_nothing_else_matched() {
    let e = explain_line("550 5.1.1 zzz");
    assert_eq!(e.basis, Basis::EnhancedCode);
    assert_eq!(e.category, Category::MailboxUnknown);
    let e = explain_line("554 5.7.26 zzz");
    assert_eq!(e.category, Category::Dmarc);
    let e = explain_line("552 zzz");
    assert_eq!(e.basis, Basis::BasicCode);
    assert_eq!(e.category, Category::Size);
}

/// Real reply lines from the collected sources, the known message each must match, and its
/// category.
const REAL_REPLIES: &[(&str, &str, Category)] = &[
    // Gmail / Google Workspace
    (
        "550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser a1si123 - gsmtp",
        "gmail.5.1.1-no-such-user",
        Category::MailboxUnknown,
    ),
    (
        "550 5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM. - gsmtp",
        "gmail.5.7.26-unauthenticated",
        Category::Dmarc,
    ),
    (
        "550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy. Please contact the administrator of example.com domain.",
        "gmail.5.7.26-dmarc-policy",
        Category::Dmarc,
    ),
    (
        "550 5.7.26 The MAIL FROM domain [example.com] has an SPF record with a hard fail policy (-all) but it fails to pass SPF checks with the ip: [192.0.2.1].",
        "gmail.5.7.26-spf-hard-fail",
        Category::Spf,
    ),
    (
        "421 4.7.0 [192.0.2.1 15] Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited.",
        "gmail.4.7.28-unusual-rate",
        Category::RateLimit,
    ),
    (
        "421 4.7.28 Gmail has detected an unusual rate of mail originating from your DKIM domain example.com. To protect our users from spam, mail has been temporarily rate limited.",
        "gmail.4.7.28-unusual-rate",
        Category::RateLimit,
    ),
    (
        "550 5.7.1 Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been blocked.",
        "gmail.5.7.28-unusual-rate-blocked",
        Category::RateLimit,
    ),
    (
        "421 4.7.0 TLS required for RCPT domain, closing connection.",
        "gmail.4.7.0-tls-required-rcpt-domain",
        Category::TlsRequired,
    ),
    (
        "421 4.7.0 IP not in whitelist for RCPT domain, closing connection.",
        "gmail.4.7.0-ip-not-in-allowlist",
        Category::SenderRejected,
    ),
    (
        "450 4.2.1 The user you are trying to contact is receiving mail too quickly. Please resend your message at a later time.",
        "gmail.4.2.1-receiving-too-quickly",
        Category::RateLimit,
    ),
    (
        "452 4.2.2 The recipient's inbox is out of storage space. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaTemp",
        "gmail.4.2.2-over-quota",
        Category::MailboxFull,
    ),
    (
        "552 5.2.2 The email account that you tried to reach is over quota and inactive.",
        "gmail.4.2.2-over-quota",
        Category::MailboxFull,
    ),
    (
        "550 5.2.1 The email account that you tried to reach is inactive. For more information, go to https://support.google.com/mail/?p=DisabledUser",
        "gmail.5.2.1-account-disabled",
        Category::MailboxDisabled,
    ),
    (
        "550 5.7.1 Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked.",
        "gmail.5.7.1-likely-unsolicited",
        Category::ContentSpam,
    ),
    (
        "550 5.7.25 The IP address sending this message does not have a PTR record setup, or the corresponding forward DNS entry does not point to the sending IP.",
        "gmail.5.7.25-no-ptr",
        Category::ReverseDns,
    ),
    (
        "421 4.7.27 Your email has been rate limited because SPF authentication didn't pass for this message. Gmail requires all bulk email senders to authenticate their email with SPF.",
        "gmail.4.7.27-spf-required",
        Category::Spf,
    ),
    (
        "550 5.7.30 This mail has been blocked because DKIM does not pass. Gmail requires all large senders to authenticate with DKIM.",
        "gmail.4.7.30-dkim-required",
        Category::Dkim,
    ),
    (
        "421 4.7.32 Your email has been rate limited because the From: header (RFC5322) in this message isn't aligned with either the authenticated SPF or DKIM organizational domain.",
        "gmail.4.7.32-from-not-aligned",
        Category::Dmarc,
    ),
    (
        "552 5.3.4 Your message exceeded Google's message size limits. https://support.google.com/mail/?p=MaxSizeError",
        "gmail.5.3.4-message-too-big",
        Category::Size,
    ),
    (
        "530 5.7.0 Must issue a STARTTLS command first. x1sm123 - gsmtp",
        "gmail.5.7.0-must-issue-starttls",
        Category::TlsRequired,
    ),
    (
        "534 5.7.9 Application-specific password required. Learn more at https://support.google.com/mail/?p=InvalidSecondFactor",
        "gmail.5.7.9-app-password-required",
        Category::AuthFailed,
    ),
    (
        "535 5.7.8 Username and Password not accepted. Learn more at https://support.google.com/mail/?p=BadCredentials",
        "gmail.5.7.8-bad-credentials",
        Category::AuthFailed,
    ),
    (
        "552 5.7.0 This message was blocked because its content presents a potential security issue.",
        "gmail.5.7.0-blocked-attachment",
        Category::ContentPolicy,
    ),
    (
        "550 5.7.1 This message is not RFC 5322 compliant because it has duplicate headers.",
        "gmail.5.7.1-not-rfc5322",
        Category::ContentPolicy,
    ),
    (
        "550 5.7.1 This message violates example.com email policy. - gcdp abc123 - gsmtp",
        "gmail.5.7.1-custom-domain-policy",
        Category::ContentPolicy,
    ),
    (
        "550 5.4.5 Daily user sending limit exceeded. For more information on Gmail's sending limits go to https://support.google.com/a/answer/166852",
        "gmail.5.4.5-daily-limit",
        Category::RateLimit,
    ),
    (
        "550 5.7.0 Mail relay denied [192.0.2.1]. Invalid credentials for relay for one of the domains in: example.com (as obtained from HELO and MAIL FROM).",
        "gmail.5.7.0-relay-denied",
        Category::RelayDenied,
    ),
    (
        "501 5.5.4 HELO/EHLO argument is invalid. https://support.google.com/mail/?p=helo",
        "gmail.5.5.4-invalid-helo",
        Category::HeloRejected,
    ),
    (
        "502 5.5.1 Unrecognized command. x1sm - gsmtp",
        "gmail.5.5.1-unrecognized-command",
        Category::Syntax,
    ),
    (
        "503 5.5.1 RCPT first. x1sm - gsmtp",
        "gmail.5.5.1-bad-sequence",
        Category::Sequence,
    ),
    (
        "504 5.7.4 Unrecognized authentication type.",
        "gmail.5.7.4-unrecognized-auth-type",
        Category::AuthMechanism,
    ),
    // Microsoft 365 / Outlook.com / Exchange
    (
        "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.",
        "microsoft.s3150-network-on-block-list",
        Category::BlocklistIp,
    ),
    (
        "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140).",
        "microsoft.s3xxx-on-block-list",
        Category::BlocklistIp,
    ),
    (
        "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [BN1NAM02FT010.eop-nam02.prod.protection.outlook.com]",
        "microsoft.5.4.1-recipient-access-denied",
        Category::MailboxUnknown,
    ),
    (
        "550 5.7.606 Access denied, banned sending IP [192.0.2.1]. To request removal from this list please visit https://sender.office.com/",
        "microsoft.5.7.606-649-banned-sending-ip",
        Category::BlocklistIp,
    ),
    (
        "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.",
        "microsoft.5.7.708-traffic-not-accepted",
        Category::BlocklistIp,
    ),
    (
        "550 5.7.705 Access denied, tenant has exceeded threshold",
        "microsoft.5.7.700-749-tenant-threshold",
        Category::RateLimit,
    ),
    (
        "550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains.",
        "microsoft.5.7.750-unregistered-domain",
        Category::SenderRejected,
    ),
    (
        "530 5.7.57 Client not authenticated to send mail during MAIL FROM [SN4PR0601CA0012.namprd06.prod.outlook.com]",
        "microsoft.5.7.57-anonymous-mail-from",
        Category::AuthRequired,
    ),
    (
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
        "microsoft.5.7.139-smtp-auth-disabled",
        Category::AuthFailed,
    ),
    (
        "535 5.7.3 Authentication unsuccessful [SN4PR0601CA0012.namprd06.prod.outlook.com]",
        "microsoft.5.7.3-authentication-unsuccessful",
        Category::AuthFailed,
    ),
    (
        "451 4.7.650 The mail server [192.0.2.5] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S775)",
        "microsoft.4.7.650-ip-reputation",
        Category::RateLimit,
    ),
    (
        "451 4.7.652 The mail server [192.0.2.251] has exceeded the maximum number of connections. (S3115)",
        "microsoft.4.7.652-max-connections",
        Category::RateLimit,
    ),
    (
        "451 4.7.500 Server busy. Please try again later from [192.0.2.2]. (AS761)",
        "microsoft.4.7.500-server-busy",
        Category::RateLimit,
    ),
    (
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
        "microsoft.5.1.10-recipient-not-found",
        Category::MailboxUnknown,
    ),
    (
        "550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found",
        "microsoft.5.1.1-resolver-recipient-not-found",
        Category::MailboxUnknown,
    ),
    (
        "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302).",
        "microsoft.5.5.0-mailbox-unavailable",
        Category::MailboxUnknown,
    ),
    (
        "550 5.7.64 TenantAttribution; Relay Access Denied",
        "microsoft.5.7.64-tenant-attribution",
        Category::RelayDenied,
    ),
    (
        "550 5.7.509 Access denied, sending domain EXAMPLE.COM does not pass DMARC verification and has a DMARC policy of reject.",
        "microsoft.5.7.509-dmarc",
        Category::Dmarc,
    ),
    (
        "550 5.7.515 Access denied, sending domain EXAMPLE.JP doesn't meet the required authentication level.",
        "microsoft.5.7.515-authentication-level",
        Category::Dmarc,
    ),
    (
        "554 5.6.11 SMTPSEND.BareLinefeedsAreIllegal; message contains bare linefeeds, which cannot be sent via DATA",
        "microsoft.5.6.11-bare-linefeeds",
        Category::Syntax,
    ),
    (
        "550 5.1.8 Access denied, bad outbound sender",
        "microsoft.5.1.8-bad-outbound-sender",
        Category::SenderRejected,
    ),
    (
        "550 5.7.513 Service unavailable, Client host [192.0.2.1] blocked by example.com using Customer Block list (AS16012607)",
        "microsoft.5.7.513-customer-block-list",
        Category::BlocklistIp,
    ),
    (
        "550 5.7.1 Unable to relay for user@example.com",
        "microsoft.5.7.1-unable-to-relay",
        Category::RelayDenied,
    ),
    (
        "421 RP-001 (BAY004-IBSMTP123) Unfortunately, some messages from 192.0.2.1 weren't sent.",
        "microsoft.rp-00x-rate-limited",
        Category::RateLimit,
    ),
    (
        "530 5.7.1 Client was not authenticated",
        "exchange.5.7.1-client-not-authenticated",
        Category::AuthRequired,
    ),
    (
        "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain",
        "exchange.5.7.54-unable-to-relay",
        Category::RelayDenied,
    ),
    (
        "452 4.3.1 Insufficient system resources",
        "exchange.4.3.1-insufficient-resources",
        Category::TemporaryLocal,
    ),
    (
        "554 5.6.0 Invalid message content",
        "exchange.5.6.0-invalid-content",
        Category::ContentPolicy,
    ),
    // Yahoo / AOL
    (
        "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
        "yahoo.tss04-temporarily-deferred",
        Category::RateLimit,
    ),
    (
        "553 5.7.2 [TSS09] All messages from 192.0.2.25 will be permanently deferred; Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes",
        "yahoo.tss09-permanently-deferred",
        Category::BlocklistIp,
    ),
    (
        "554 5.7.9 Message not accepted for policy reasons. See https://postmaster.yahooinc.com/error-codes",
        "yahoo.5.7.9-policy",
        Category::ContentPolicy,
    ),
    (
        "553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.25, because the ip is in Spamhaus's list; see http://postmaster.yahoo.com/550-bl23.html",
        "yahoo.bl21-spamhaus",
        Category::BlocklistIp,
    ),
    (
        "554 Message not allowed - [PH01] Email not accepted for policy reasons. Please visit https://postmaster.yahooinc.com/error-codes",
        "yahoo.ph01-policy",
        Category::ContentPolicy,
    ),
    (
        "550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo requires all senders to authenticate with either SPF or DKIM.",
        "yahoo.5.7.9-unauthenticated",
        Category::Dmarc,
    ),
    (
        "554 delivery error: dd This user doesn't have a yahoo.com account (someone@yahoo.com) [0] - mta1234.mail.bf1.yahoo.com",
        "yahoo.no-such-account",
        Category::MailboxUnknown,
    ),
    // iCloud
    (
        "550 5.7.1 [CS01] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137",
        "icloud.cs01-local-policy",
        Category::ContentPolicy,
    ),
    (
        "554 5.7.1 [HME1] This message was blocked for failing both SPF and DKIM authentication checks.",
        "icloud.hme1-spf-and-dkim-failed",
        Category::Dmarc,
    ),
    (
        "550 5.7.1 Your email was rejected due to having a domain present in the Spamhaus DBL -- see https://www.spamhaus.org/dbl/",
        "icloud.spamhaus-dbl",
        Category::BlocklistDomain,
    ),
    (
        "552 5.2.2 <someone@icloud.com>: user is over quota",
        "icloud.user-over-quota",
        Category::MailboxFull,
    ),
    (
        "550 5.1.1 <someone@icloud.com>: inactive email address",
        "icloud.inactive-address",
        Category::MailboxDisabled,
    ),
    (
        "421 4.7.1 Messages to someone@icloud.com deferred due to excessive volume. Try again later - https://support.apple.com/en-us/HT204137",
        "icloud.excessive-volume",
        Category::RateLimit,
    ),
    // Zoho, Mimecast, Proofpoint, Barracuda, blocklists, greylisting
    (
        "550 5.7.1 Email rejected per DMARC policy for zoho.com",
        "zoho.dmarc-rejected",
        Category::Dmarc,
    ),
    (
        "451 4.7.1 Greylisted, try again after some time",
        "zoho.greylisted",
        Category::Greylist,
    ),
    (
        "550 Rejected by header based Anti-Spoofing policy: x@example.com",
        "mimecast.rejected-header-anti-spoofing",
        Category::ContentPolicy,
    ),
    (
        "550 Administrative prohibition envelope blocked - https://community.mimecast.com/docs/DOC-1369#550",
        "mimecast.envelope-blocked",
        Category::SenderRejected,
    ),
    (
        "451 Open relay not allowed - https://community.mimecast.com/docs/DOC-1369#451",
        "mimecast.open-relay-not-allowed",
        Category::RelayDenied,
    ),
    (
        "550 SPF Sender Invalid - envelope rejected - https://community.mimecast.com/docs/DOC-1369#550",
        "mimecast.spf-sender-invalid",
        Category::Spf,
    ),
    (
        "554 5.7.0 Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1",
        "proofpoint.5.7.0-blocked-see-ipcheck",
        Category::BlocklistIp,
    ),
    (
        "554 Service unavailable; Client host [192.0.2.1] blocked using Barracuda Reputation; http://www.barracudanetworks.com/reputation/?r=1&ip=192.0.2.1",
        "barracuda.blocked-using-barracuda-reputation",
        Category::BlocklistIp,
    ),
    (
        "550 permanent failure for one or more recipients (someone@example.com:blocked)",
        "barracuda.permanent-failure-blocked",
        Category::ContentPolicy,
    ),
    (
        "554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.9",
        "dnsbl.spamhaus-zen",
        Category::BlocklistIp,
    ),
    (
        "554 Service unavailable; Client host [127.0.0.2] blocked using blackholes.mail-abuse.org; Blackholed - see <URL:http://mail-abuse.org/cgi-bin/lookup?127.0.0.2>",
        "dnsbl.postfix-blocked-using",
        Category::BlocklistIp,
    ),
    (
        "450 4.2.0 <someone@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.com.html",
        "greylist.postgrey",
        Category::Greylist,
    ),
    (
        "451 4.7.1 Greylisting in action, please come back later",
        "greylist.greylisting-in-action",
        Category::Greylist,
    ),
    // Postfix
    (
        "502 5.5.2 Error: command not recognized",
        "postfix.502-5.5.2-command-not-recognized",
        Category::Syntax,
    ),
    (
        "500 5.5.2 Error: bad syntax",
        "postfix.500-5.5.2-bad-syntax",
        Category::Syntax,
    ),
    (
        "502 5.5.1 VRFY command is disabled",
        "postfix.502-5.5.1-vrfy-disabled",
        Category::NotImplemented,
    ),
    (
        "502 5.5.1 Error: command not implemented",
        "postfix.502-5.5.1-command-not-implemented",
        Category::NotImplemented,
    ),
    (
        "503 5.5.1 Error: need MAIL command",
        "postfix.503-5.5.1-need-mail",
        Category::Sequence,
    ),
    (
        "503 5.5.1 Error: need RCPT command",
        "postfix.503-5.5.1-need-rcpt",
        Category::Sequence,
    ),
    (
        "554 5.5.1 Error: no valid recipients",
        "postfix.554-5.5.1-no-valid-recipients",
        Category::Sequence,
    ),
    (
        "503 5.5.1 Error: nested MAIL command",
        "postfix.503-5.5.1-nested-mail",
        Category::Sequence,
    ),
    (
        "503 5.5.1 Error: send HELO/EHLO first",
        "postfix.503-5.5.1-send-helo-first",
        Category::Sequence,
    ),
    (
        "501 5.5.4 Syntax: MAIL FROM:<address>",
        "postfix.501-5.5.4-syntax-mail-from",
        Category::Syntax,
    ),
    (
        "501 5.1.7 Bad sender address syntax",
        "postfix.501-5.1.7-bad-sender-address-syntax",
        Category::SenderRejected,
    ),
    (
        "555 5.5.4 Unsupported option: SMTPUTF8",
        "postfix.555-5.5.4-unsupported-option",
        Category::Parameter,
    ),
    (
        "452 4.5.3 Error: too many recipients",
        "postfix.452-4.5.3-too-many-recipients",
        Category::TooManyRecipients,
    ),
    (
        "552 5.3.4 Message size exceeds fixed limit",
        "postfix.552-5.3.4-message-size-exceeds-fixed-limit",
        Category::Size,
    ),
    (
        "530 5.7.0 Must issue a STARTTLS command first",
        "postfix.530-5.7.0-must-issue-starttls",
        Category::TlsRequired,
    ),
    (
        "454 4.7.0 TLS not available due to local problem",
        "postfix.454-4.7.0-tls-not-available",
        Category::TlsFailure,
    ),
    (
        "554 5.5.1 Error: TLS already active",
        "postfix.554-5.5.1-tls-already-active",
        Category::Sequence,
    ),
    (
        "421 4.7.0 mx.example.com Error: too many errors",
        "postfix.421-4.7.0-too-many-errors",
        Category::Other,
    ),
    (
        "421 4.7.0 mx.example.com Error: too many connections from 192.0.2.1",
        "postfix.421-4.7.0-too-many-connections",
        Category::RateLimit,
    ),
    (
        "450 4.7.1 Error: too much mail from 192.0.2.1",
        "postfix.450-4.7.1-too-much-mail-from",
        Category::RateLimit,
    ),
    (
        "503 5.5.1 Error: authentication not enabled",
        "postfix.503-5.5.1-authentication-not-enabled",
        Category::NotImplemented,
    ),
    (
        "503 5.5.1 Error: MAIL transaction in progress",
        "postfix.503-5.5.1-mail-transaction-in-progress",
        Category::Sequence,
    ),
    (
        "535 5.7.8 Error: authentication failed: authentication failure",
        "postfix.535-5.7.8-authentication-failed",
        Category::AuthFailed,
    ),
    (
        "504 5.5.4 Encryption required for requested authentication mechanism",
        "postfix.504-5.5.4-encryption-required",
        Category::TlsRequired,
    ),
    (
        "554 5.7.1 <x@other.example>: Relay access denied",
        "postfix.554-5.7.1-relay-access-denied",
        Category::RelayDenied,
    ),
    (
        "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table",
        "postfix.550-5.1.1-user-unknown-virtual-mailbox-table",
        Category::MailboxUnknown,
    ),
    (
        "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table",
        "postfix.550-5.1.1-user-unknown-local-recipient-table",
        Category::MailboxUnknown,
    ),
    (
        "504 5.5.2 <foo>: Helo command rejected: need fully-qualified hostname",
        "postfix.504-5.5.2-helo-need-fqdn",
        Category::HeloRejected,
    ),
    (
        "450 4.7.1 <nxdomain.porcupine.org>: Helo command rejected: Host not found",
        "postfix.450-4.7.1-helo-host-not-found",
        Category::HeloRejected,
    ),
    (
        "450 4.1.8 <sname@nxdomain.porcupine.org>: Sender address rejected: Domain not found",
        "postfix.450-4.1.8-sender-domain-not-found",
        Category::SenderRejected,
    ),
    (
        "450 4.1.2 <rname@nxdomain.porcupine.org>: Recipient address rejected: Domain not found",
        "postfix.450-4.1.2-recipient-domain-not-found",
        Category::MailboxUnknown,
    ),
    (
        "556 5.1.0 <rname@nullmx.porcupine.org>: Recipient address rejected: Domain nullmx.porcupine.org does not accept mail",
        "postfix.556-recipient-null-mx",
        Category::NullMx,
    ),
    (
        "556 5.7.0 <sname@nullmx.porcupine.org>: Sender address rejected: Domain nullmx.porcupine.org does not accept mail",
        "postfix.556-sender-null-mx",
        Category::NullMx,
    ),
    (
        "504 5.5.2 <foo@foo>: Sender address rejected: need fully-qualified address",
        "postfix.504-5.5.2-sender-need-fqdn",
        Category::SenderRejected,
    ),
    (
        "450 4.7.1 Client host rejected: cannot find your hostname, [131.155.210.17]",
        "postfix.450-4.7.1-cannot-find-your-hostname",
        Category::ReverseDns,
    ),
    (
        "503 5.5.0 <unknown[192.168.0.1]>: Client host rejected: Improper use of SMTP command pipelining",
        "postfix.503-5.5.0-improper-pipelining",
        Category::Sequence,
    ),
    (
        "553 5.7.1 <a@b.example>: Sender address rejected: not owned by user bob",
        "postfix.553-5.7.1-sender-not-owned",
        Category::SenderRejected,
    ),
    (
        "521 5.5.2 mx.example.com Error: bare <LF> received",
        "postfix.521-5.5.2-bare-lf-received",
        Category::Syntax,
    ),
    (
        "521 5.5.1 Protocol error",
        "postfix.postscreen-protocol-error",
        Category::Sequence,
    ),
    (
        "450 4.3.2 Service currently unavailable",
        "postfix.postscreen-service-currently-unavailable",
        Category::ServiceUnavailable,
    ),
    (
        "550 5.7.1 message content rejected",
        "postfix.550-5.7.1-message-content-rejected",
        Category::ContentPolicy,
    ),
    (
        "221 2.7.0 Error: I can break rules, too. Goodbye.",
        "postfix.221-2.7.0-break-rules",
        Category::Syntax,
    ),
    // Exim
    (
        "500 unrecognized command",
        "exim.500-unrecognized-command",
        Category::Syntax,
    ),
    (
        "501 Syntactically invalid EHLO argument(s)",
        "exim.501-syntactically-invalid-helo",
        Category::HeloRejected,
    ),
    (
        "503 sender not yet given",
        "exim.503-sender-not-yet-given",
        Category::Sequence,
    ),
    (
        "503 valid RCPT command must precede DATA",
        "exim.503-valid-rcpt-must-precede-data",
        Category::Sequence,
    ),
    (
        "550 Unrouteable address",
        "exim.unrouteable-address",
        Category::MailboxUnknown,
    ),
    (
        "550 relay not permitted",
        "exim.relay-not-permitted",
        Category::RelayDenied,
    ),
    (
        "550 Administrative prohibition",
        "exim.550-administrative-prohibition",
        Category::ContentPolicy,
    ),
    (
        "421 mx.example.com lost input connection",
        "exim.421-lost-input-connection",
        Category::TemporaryLocal,
    ),
    (
        "451 Temporary local problem - please try later",
        "exim.451-temporary-local-problem",
        Category::TemporaryLocal,
    ),
    (
        "535 Incorrect authentication data",
        "exim.535-incorrect-authentication-data",
        Category::AuthFailed,
    ),
    (
        "503 AUTH command used when not advertised",
        "exim.503-auth-not-advertised",
        Category::NotImplemented,
    ),
    (
        "554 SMTP synchronization error",
        "exim.554-smtp-synchronization-error",
        Category::Sequence,
    ),
    (
        "552 Message size exceeds maximum permitted",
        "exim.552-message-size-exceeds-maximum",
        Category::Size,
    ),
    (
        "504 CRAM-MD5 authentication mechanism not supported",
        "exim.504-mechanism-not-supported",
        Category::AuthMechanism,
    ),
    (
        "550 rejected because 192.0.2.1 is in a black list at zen.spamhaus.org",
        "exim.dnslist-black-list",
        Category::BlocklistIp,
    ),
    // Sendmail
    (
        "553 5.1.8 <a@nx.example>... Domain of sender address a@nx.example does not exist",
        "sendmail.553-5.1.8-domain-of-sender-does-not-exist",
        Category::SenderRejected,
    ),
    (
        "550 5.7.1 <henning@[10.11.12.13]>... Relaying denied",
        "sendmail.550-5.7.1-relaying-denied",
        Category::RelayDenied,
    ),
    (
        "550 5.7.1 <123@example.com>... Relaying denied. Proper authentication required.",
        "sendmail.550-5.7.1-relaying-denied",
        Category::RelayDenied,
    ),
    (
        "503 5.0.0 Need MAIL before RCPT",
        "sendmail.503-need-mail-before-rcpt",
        Category::Sequence,
    ),
    (
        "452 4.5.3 Too many recipients",
        "sendmail.452-4.5.3-too-many-recipients",
        Category::TooManyRecipients,
    ),
    (
        "500 5.5.1 Command unrecognized: \"FOO\"",
        "sendmail.500-5.5.1-command-unrecognized",
        Category::Syntax,
    ),
    (
        "553 5.3.0 <d@worldnet.att.net>... 550 worldnet addressee unknown, relay=[98.130.1.156]",
        "sendmail.553-5.3.0-access-map-error",
        Category::SenderRejected,
    ),
    (
        "503 5.0.0 Polite people say HELO first",
        "sendmail.503-polite-people-say-helo",
        Category::Sequence,
    ),
    // OpenSMTPD
    (
        "550 Invalid recipient: <nobody@example.com>",
        "opensmtpd.550-invalid-recipient",
        Category::MailboxUnknown,
    ),
    (
        "530 5.5.1 Invalid command: Must issue a STARTTLS command first",
        "opensmtpd.530-must-issue-starttls",
        Category::TlsRequired,
    ),
    (
        "500 5.5.1 Invalid command: Pipelining not supported",
        "opensmtpd.500-5.5.1-pipelining-not-supported",
        Category::Sequence,
    ),
    (
        "503 5.5.1 Invalid command: Command not allowed at this point.",
        "opensmtpd.503-5.5.1-not-allowed-at-this-point",
        Category::Sequence,
    ),
    (
        "500 5.5.1 Invalid command: Command unrecognized",
        "opensmtpd.500-5.5.1-command-unrecognized",
        Category::Syntax,
    ),
    (
        "504 5.7.4 Security features not supported: AUTH method \"CRAM-MD5\" not supported",
        "opensmtpd.504-auth-method-not-supported",
        Category::AuthMechanism,
    ),
    (
        "554 5.3.4 Message too big for system: Transaction failed, message too big",
        "opensmtpd.554-message-too-big",
        Category::Size,
    ),
    // qmail and filters
    (
        "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
        "qmail.553-not-in-rcpthosts",
        Category::RelayDenied,
    ),
    (
        "451 See https://cr.yp.to/docs/smtplf.html.",
        "qmail.451-stray-newline",
        Category::Syntax,
    ),
    (
        "554 5.7.1 Spam message rejected",
        "common.rspamd-spam-message-rejected",
        Category::ContentSpam,
    ),
];

#[test]
fn real_reply_lines_match_their_known_message() {
    assert!(REAL_REPLIES.len() >= 80, "{} rows", REAL_REPLIES.len());
    let mut failures = Vec::new();
    for (line, id, category) in REAL_REPLIES {
        let e = explain_line(line);
        if e.matched.as_deref() != Some(*id) || e.category != *category {
            failures.push(format!(
                "{line}\n    want {id} ({category}), got {:?} ({})",
                e.matched, e.category
            ));
        }
        assert_eq!(e.basis, Basis::KnownMessage, "{line}");
        assert!(e.provider.is_some() && e.source.is_some(), "{line}");
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn reply_5_5_1_and_5_5_2_are_told_apart() {
    let not_recognised = explain_line("502 5.5.2 whatever");
    assert_eq!(not_recognised.category, Category::Syntax);
    assert!(
        not_recognised.cause.contains("LF"),
        "{}",
        not_recognised.cause
    );
    let not_implemented = explain_line("502 5.5.1 whatever");
    assert_eq!(not_implemented.category, Category::NotImplemented);
    assert!(not_implemented.cause.contains("VRFY"));
}

#[test]
fn context_530_on_submission_without_tls_says_use_starttls() {
    let c = Context {
        command: Some("MAIL".into()),
        port: Some(587),
        ..Context::default()
    };
    for line in [
        "530 5.7.0 Must issue a STARTTLS command first",
        "530 5.7.0 Authentication required",
        "530 5.7.0 zzz",
    ] {
        let e = explain(&reply(line), &c);
        assert_eq!(e.category, Category::TlsRequired, "{line}");
        assert_eq!(
            e.matched.as_deref(),
            Some("context.530-submission-plaintext"),
            "{line}"
        );
        assert!(
            e.fix
                .iter()
                .any(|f| f.contains("--starttls") && f.contains("/starttls")),
            "{:?}",
            e.fix
        );
    }
    let c = Context {
        command: Some("MAIL".into()),
        port: Some(587),
        tls: true,
        ..Context::default()
    };
    let e = explain(&reply("530 5.7.0 Authentication required"), &c);
    assert_eq!(e.category, Category::AuthRequired);
}

#[test]
fn context_bare_lf_sent_on_purpose_is_named() {
    let c = Context {
        command: Some("EHLO".into()),
        broken_line_ending: Some("lf"),
        ..Context::default()
    };
    for line in [
        "502 5.5.2 Error: command not recognized",
        "500 5.5.2 Error: bad syntax",
        "500 unrecognized command",
    ] {
        let e = explain(&reply(line), &c);
        assert_eq!(
            e.matched.as_deref(),
            Some("context.bare-lf-rejected"),
            "{line}"
        );
        assert!(e.summary.contains("--line-ending lf"), "{}", e.summary);
        assert!(
            !e.related.is_empty(),
            "the overridden known message is kept as related: {line}"
        );
    }
    let c = Context {
        broken_line_ending: Some("cr"),
        ..Context::default()
    };
    assert_eq!(
        explain(&reply("500 5.5.2 x"), &c).matched.as_deref(),
        Some("context.bare-cr-rejected")
    );
}

#[test]
fn context_535_after_auth_login_suggests_app_password_or_oauth() {
    let c = Context {
        command: Some("AUTH".into()),
        auth_mechanism: Some("LOGIN".into()),
        tls: true,
        ..Context::default()
    };
    let e = explain(
        &reply("535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6"),
        &c,
    );
    assert_eq!(e.category, Category::AuthFailed);
    assert_eq!(
        e.matched.as_deref(),
        Some("postfix.535-5.7.8-authentication-failed")
    );
    assert!(
        e.related
            .iter()
            .any(|r| r == "context.535-password-mechanism")
    );
    let all = e.fix.join(" ");
    assert!(
        all.contains("app password") && all.contains("XOAUTH2"),
        "{all}"
    );
    let e = explain(&reply("535 5.7.8 zzz"), &c);
    assert_eq!(e.matched.as_deref(), Some("context.535-password-mechanism"));
}

#[test]
fn context_vrfy_expn_disabled_is_normal() {
    for cmd in ["VRFY", "EXPN"] {
        let e = explain(&reply("502 5.5.1 zzz"), &ctx(cmd));
        assert_eq!(e.category, Category::NotImplemented);
        assert_eq!(e.matched.as_deref(), Some("context.vrfy-expn-disabled"));
        assert!(e.summary.contains("normal"));
    }
    let e = explain(&reply("502 5.5.1 VRFY command is disabled"), &ctx("VRFY"));
    assert_eq!(
        e.matched.as_deref(),
        Some("postfix.502-5.5.1-vrfy-disabled")
    );
    assert!(e.related.iter().any(|r| r == "context.vrfy-expn-disabled"));
}

#[test]
fn context_sequence_errors_by_command() {
    let e = explain(&reply("503 5.5.1 zzz"), &ctx("DATA"));
    assert_eq!(e.matched.as_deref(), Some("context.503-data-no-recipient"));
    assert!(e.summary.contains("no recipient was accepted"));
    assert_eq!(
        explain(&reply("503 zzz"), &ctx("RCPT")).matched.as_deref(),
        Some("context.503-rcpt-before-mail")
    );
    assert_eq!(
        explain(&reply("503 zzz"), &ctx("MAIL")).matched.as_deref(),
        Some("context.503-mail-out-of-order")
    );
    assert_eq!(
        explain(&reply("503 zzz"), &ctx("AUTH")).matched.as_deref(),
        Some("context.503-auth-out-of-order")
    );
    assert_eq!(
        explain(&reply("503 zzz"), &Context::default())
            .matched
            .as_deref(),
        Some("rule.503-sequence")
    );
}

#[test]
fn context_auth_and_starttls_problems() {
    let plain = Context {
        command: Some("AUTH".into()),
        ..Context::default()
    };
    assert_eq!(
        explain(&reply("503 5.5.1 zzz"), &plain).category,
        Category::Sequence
    );
    assert_eq!(
        explain(&reply("502 5.5.1 zzz"), &plain).matched.as_deref(),
        Some("context.auth-plaintext-refused")
    );
    let tls = Context {
        command: Some("AUTH".into()),
        tls: true,
        ..Context::default()
    };
    assert_eq!(
        explain(&reply("502 5.5.1 zzz"), &tls).matched.as_deref(),
        Some("context.auth-not-offered")
    );
    assert_eq!(
        explain(&reply("504 5.5.4 zzz"), &tls).category,
        Category::AuthMechanism
    );
    let st = Context {
        command: Some("STARTTLS".into()),
        ..Context::default()
    };
    assert_eq!(
        explain(&reply("502 5.5.1 zzz"), &st).matched.as_deref(),
        Some("context.starttls-not-offered")
    );
    let e = explain(&reply("454 4.7.0 zzz"), &st);
    assert_eq!(e.category, Category::TlsFailure);
}

#[test]
fn symptoms_explain_port_and_encryption_mismatches() {
    let on587 = Context {
        port: Some(587),
        tls: true,
        ..Context::default()
    };
    let e = explain_symptom(Symptom::TlsWrongVersion, &on587);
    assert_eq!(
        e.matched.as_deref(),
        Some("symptom.tls-wrong-version.plaintext-port")
    );
    assert!(e.fix.iter().any(|f| f.contains("--starttls")));
    let on465 = Context {
        port: Some(465),
        tls: false,
        ..Context::default()
    };
    for s in [
        Symptom::UnexpectedClose,
        Symptom::GreetingTimeout,
        Symptom::NotSmtp,
    ] {
        let e = explain_symptom(s, &on465);
        assert_eq!(e.category, Category::TlsRequired, "{s:?}");
        assert!(
            e.fix.iter().any(|f| f.contains("--tls-on-connect")),
            "{s:?}"
        );
    }
    let e = explain_symptom(Symptom::UnexpectedClose, &Context::default());
    assert_eq!(e.matched.as_deref(), Some("symptom.unexpected-close"));
    assert_eq!(e.code, 0);
}

#[test]
fn permanent_mailbox_unknown_warns_about_reputation() {
    let e = explain_line(
        "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table",
    );
    assert!(
        e.fix
            .iter()
            .any(|f| f.contains("remove it from your lists") && f.contains("reputation")),
        "{:?}",
        e.fix
    );
    let transient = explain_line(
        "450 4.1.1 <x@y>: Recipient address rejected: unverified address: host not found",
    );
    assert!(
        !transient
            .fix
            .iter()
            .any(|f| f.contains("remove it from your lists"))
    );
}

#[test]
fn explanation_json_has_the_spec_fields() {
    let e = explain_line(
        "550 5.7.26 This mail has been blocked because the sender is unauthenticated.",
    );
    let v = serde_json::to_value(&e).unwrap();
    for f in [
        "code",
        "enhanced",
        "permanent",
        "category",
        "summary",
        "cause",
        "fix",
        "matched",
    ] {
        assert!(v.get(f).is_some(), "{f}");
    }
    assert_eq!(v["enhanced"], "5.7.26");
    assert_eq!(v["category"], "dmarc");
    assert_eq!(v["basis"], "known-message");
    let v = serde_json::to_value(explain_line("599 x")).unwrap();
    assert!(v["matched"].is_null());
}

#[test]
fn every_reply_gets_a_non_empty_explanation() {
    for code in (200..600).step_by(7) {
        let e = explain_line(&format!("{code} some text"));
        assert!(
            !e.summary.is_empty()
                && !e.cause.is_empty()
                && !e.fix.is_empty()
                && !e.code_meaning.is_empty(),
            "{code}"
        );
        assert!(!e.one_line().is_empty() && e.full().len() >= 4);
    }
}

#[test]
fn full_explanation_lists_category_and_match() {
    let lines =
        explain_line("550 5.1.1 The email account that you tried to reach does not exist.").full();
    assert!(lines[0].starts_with("550 5.1.1 is permanent"));
    assert!(lines.iter().any(|l| l == "category: mailbox-unknown"));
    assert!(
        lines
            .iter()
            .any(|l| l == "matched: gmail.5.1.1-no-such-user (Gmail)")
    );
}
