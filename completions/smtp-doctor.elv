
use builtin;
use str;

set edit:completion:arg-completer[smtp-doctor] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'smtp-doctor'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'smtp-doctor'= {
            cand --color 'When to use colour (NO_COLOR in the environment means never, unless `always`)'
            cand --timeout 'Deadline in seconds for each network step (each reply, write and TLS handshake)'
            cand --connect-timeout 'Deadline in seconds for each TCP connection attempt'
            cand --dns-server 'Ask this DNS server instead of the system resolver (like `dig @server`)'
            cand --tls-backend 'TLS implementation to use'
            cand --ca-file 'Also trust the CA certificates in this PEM file'
            cand --json 'Print JSON Lines events on stdout instead of the human transcript'
            cand -v 'More detail: full explanations, transcripts of every probe'
            cand --verbose 'More detail: full explanations, transcripts of every probe'
            cand -q 'Less output: only errors and the result'
            cand --quiet 'Less output: only errors and the result'
            cand -4 'Use IPv4 addresses only'
            cand -6 'Use IPv6 addresses only'
            cand --insecure 'Do not verify server certificates (the verdict is still reported, loudly)'
            cand --show-crlf 'Make every CR and LF visible in the transcript'
            cand --show-secrets 'Show AUTH payloads and passwords instead of redacting them'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand check 'Diagnose a domain''s mail servers on ports 25, 587 and 465'
            cand send 'Run one SMTP transaction with a live transcript (swaks-style)'
            cand shell 'Type SMTP by hand; runs a script when stdin is not a terminal'
            cand explain 'Explain reply codes, reply lines, or a pasted bounce or log (stdin)'
            cand completions 'Print shell completions'
            cand man 'Print the man page (roff)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'smtp-doctor;check'= {
            cand -s 'Probe this host instead of resolving MX'
            cand --server 'Probe this host instead of resolving MX'
            cand --ports 'Ports to probe, each PORT[/smtp|submission|tls] (465 means tls, 587 submission, any other smtp) [default: 25,587,465, or the port given in --server HOST:PORT]'
            cand --ehlo 'EHLO name to announce (default: this host''s FQDN)'
            cand --concurrency 'Most probes in flight at once'
            cand --sni 'SNI name to send (default: the host name probed)'
            cand --color 'When to use colour (NO_COLOR in the environment means never, unless `always`)'
            cand --timeout 'Deadline in seconds for each network step (each reply, write and TLS handshake)'
            cand --connect-timeout 'Deadline in seconds for each TCP connection attempt'
            cand --dns-server 'Ask this DNS server instead of the system resolver (like `dig @server`)'
            cand --tls-backend 'TLS implementation to use'
            cand --ca-file 'Also trust the CA certificates in this PEM file'
            cand --json 'Print JSON Lines events on stdout instead of the human transcript'
            cand -v 'More detail: full explanations, transcripts of every probe'
            cand --verbose 'More detail: full explanations, transcripts of every probe'
            cand -q 'Less output: only errors and the result'
            cand --quiet 'Less output: only errors and the result'
            cand -4 'Use IPv4 addresses only'
            cand -6 'Use IPv6 addresses only'
            cand --insecure 'Do not verify server certificates (the verdict is still reported, loudly)'
            cand --show-crlf 'Make every CR and LF visible in the transcript'
            cand --show-secrets 'Show AUTH payloads and passwords instead of redacting them'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smtp-doctor;send'= {
            cand -t 'Recipient (repeatable; comma-separated lists too)'
            cand --to 'Recipient (repeatable; comma-separated lists too)'
            cand -f 'Envelope sender and From: (default: smtp-doctor@this host''s FQDN)'
            cand --from 'Envelope sender and From: (default: smtp-doctor@this host''s FQDN)'
            cand -s 'Server to use instead of the first recipient''s best MX'
            cand --server 'Server to use instead of the first recipient''s best MX'
            cand -p 'Port (25 by default; 465 means implicit TLS, 587 STARTTLS required)'
            cand --port 'Port (25 by default; 465 means implicit TLS, 587 STARTTLS required)'
            cand --ehlo 'EHLO name to announce (default: this host''s FQDN)'
            cand --sni 'SNI name to send (default: the server''s host name)'
            cand -a 'Authenticate; without a value, the strongest mechanism offered'
            cand --auth 'Authenticate; without a value, the strongest mechanism offered'
            cand --auth-user 'User name for AUTH'
            cand --auth-password 'Password (or OAuth token for XOAUTH2); prompted without echo when absent on a terminal'
            cand --header 'Add a header (repeatable), e.g. "X-Test: 1"; replaces a default header of the same name'
            cand --subject 'Subject of the generated message'
            cand --body 'Body text, @FILE to read a file, or - for stdin'
            cand --attach 'Attach a file (repeatable); makes the message MIME multipart'
            cand --data 'Send this raw RFC 5322 message (FILE or - for stdin) instead of building one'
            cand --quit-after 'Stop cleanly after this step'
            cand --line-ending 'Line ending for commands: lf and cr deliberately break RFC 5321, to reproduce a broken client'
            cand --color 'When to use colour (NO_COLOR in the environment means never, unless `always`)'
            cand --timeout 'Deadline in seconds for each network step (each reply, write and TLS handshake)'
            cand --connect-timeout 'Deadline in seconds for each TCP connection attempt'
            cand --dns-server 'Ask this DNS server instead of the system resolver (like `dig @server`)'
            cand --tls-backend 'TLS implementation to use'
            cand --ca-file 'Also trust the CA certificates in this PEM file'
            cand --helo 'Say HELO instead of EHLO'
            cand --starttls 'Require STARTTLS: fail if the server does not offer it (never fall back)'
            cand --tls-optional 'Use STARTTLS when offered, carry on in plaintext otherwise (default on port 25)'
            cand --tls-on-connect 'Implicit TLS from the first byte (default on port 465)'
            cand --no-tls 'Do not use TLS at all, even when offered'
            cand --allow-plaintext-auth 'Allow sending credentials over a connection without TLS'
            cand --pipeline 'Use PIPELINING when offered (RFC 2920)'
            cand --8bitmime 'Declare BODY=8BITMIME on MAIL FROM (when offered)'
            cand --smtputf8 'Declare SMTPUTF8 on MAIL FROM (when offered)'
            cand --chunking 'Send the message with BDAT (CHUNKING, RFC 3030) when offered'
            cand --json 'Print JSON Lines events on stdout instead of the human transcript'
            cand -v 'More detail: full explanations, transcripts of every probe'
            cand --verbose 'More detail: full explanations, transcripts of every probe'
            cand -q 'Less output: only errors and the result'
            cand --quiet 'Less output: only errors and the result'
            cand -4 'Use IPv4 addresses only'
            cand -6 'Use IPv6 addresses only'
            cand --insecure 'Do not verify server certificates (the verdict is still reported, loudly)'
            cand --show-crlf 'Make every CR and LF visible in the transcript'
            cand --show-secrets 'Show AUTH payloads and passwords instead of redacting them'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smtp-doctor;shell'= {
            cand --script 'Run this script file instead of reading commands interactively'
            cand --sni 'SNI name to send (default: the server''s host name)'
            cand -p 'Port, when TARGET has none (default 25; 465 means implicit TLS)'
            cand --port 'Port, when TARGET has none (default 25; 465 means implicit TLS)'
            cand --color 'When to use colour (NO_COLOR in the environment means never, unless `always`)'
            cand --timeout 'Deadline in seconds for each network step (each reply, write and TLS handshake)'
            cand --connect-timeout 'Deadline in seconds for each TCP connection attempt'
            cand --dns-server 'Ask this DNS server instead of the system resolver (like `dig @server`)'
            cand --tls-backend 'TLS implementation to use'
            cand --ca-file 'Also trust the CA certificates in this PEM file'
            cand --tls 'Connect with implicit TLS (default on port 465)'
            cand --allow-plaintext-auth 'Let /auth send credentials over a connection without TLS'
            cand --json 'Print JSON Lines events on stdout instead of the human transcript'
            cand -v 'More detail: full explanations, transcripts of every probe'
            cand --verbose 'More detail: full explanations, transcripts of every probe'
            cand -q 'Less output: only errors and the result'
            cand --quiet 'Less output: only errors and the result'
            cand -4 'Use IPv4 addresses only'
            cand -6 'Use IPv6 addresses only'
            cand --insecure 'Do not verify server certificates (the verdict is still reported, loudly)'
            cand --show-crlf 'Make every CR and LF visible in the transcript'
            cand --show-secrets 'Show AUTH payloads and passwords instead of redacting them'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smtp-doctor;explain'= {
            cand --color 'When to use colour (NO_COLOR in the environment means never, unless `always`)'
            cand --timeout 'Deadline in seconds for each network step (each reply, write and TLS handshake)'
            cand --connect-timeout 'Deadline in seconds for each TCP connection attempt'
            cand --dns-server 'Ask this DNS server instead of the system resolver (like `dig @server`)'
            cand --tls-backend 'TLS implementation to use'
            cand --ca-file 'Also trust the CA certificates in this PEM file'
            cand --json 'Print JSON Lines events on stdout instead of the human transcript'
            cand -v 'More detail: full explanations, transcripts of every probe'
            cand --verbose 'More detail: full explanations, transcripts of every probe'
            cand -q 'Less output: only errors and the result'
            cand --quiet 'Less output: only errors and the result'
            cand -4 'Use IPv4 addresses only'
            cand -6 'Use IPv6 addresses only'
            cand --insecure 'Do not verify server certificates (the verdict is still reported, loudly)'
            cand --show-crlf 'Make every CR and LF visible in the transcript'
            cand --show-secrets 'Show AUTH payloads and passwords instead of redacting them'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smtp-doctor;completions'= {
            cand --color 'When to use colour (NO_COLOR in the environment means never, unless `always`)'
            cand --timeout 'Deadline in seconds for each network step (each reply, write and TLS handshake)'
            cand --connect-timeout 'Deadline in seconds for each TCP connection attempt'
            cand --dns-server 'Ask this DNS server instead of the system resolver (like `dig @server`)'
            cand --tls-backend 'TLS implementation to use'
            cand --ca-file 'Also trust the CA certificates in this PEM file'
            cand --json 'Print JSON Lines events on stdout instead of the human transcript'
            cand -v 'More detail: full explanations, transcripts of every probe'
            cand --verbose 'More detail: full explanations, transcripts of every probe'
            cand -q 'Less output: only errors and the result'
            cand --quiet 'Less output: only errors and the result'
            cand -4 'Use IPv4 addresses only'
            cand -6 'Use IPv6 addresses only'
            cand --insecure 'Do not verify server certificates (the verdict is still reported, loudly)'
            cand --show-crlf 'Make every CR and LF visible in the transcript'
            cand --show-secrets 'Show AUTH payloads and passwords instead of redacting them'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smtp-doctor;man'= {
            cand --color 'When to use colour (NO_COLOR in the environment means never, unless `always`)'
            cand --timeout 'Deadline in seconds for each network step (each reply, write and TLS handshake)'
            cand --connect-timeout 'Deadline in seconds for each TCP connection attempt'
            cand --dns-server 'Ask this DNS server instead of the system resolver (like `dig @server`)'
            cand --tls-backend 'TLS implementation to use'
            cand --ca-file 'Also trust the CA certificates in this PEM file'
            cand --json 'Print JSON Lines events on stdout instead of the human transcript'
            cand -v 'More detail: full explanations, transcripts of every probe'
            cand --verbose 'More detail: full explanations, transcripts of every probe'
            cand -q 'Less output: only errors and the result'
            cand --quiet 'Less output: only errors and the result'
            cand -4 'Use IPv4 addresses only'
            cand -6 'Use IPv6 addresses only'
            cand --insecure 'Do not verify server certificates (the verdict is still reported, loudly)'
            cand --show-crlf 'Make every CR and LF visible in the transcript'
            cand --show-secrets 'Show AUTH payloads and passwords instead of redacting them'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'smtp-doctor;help'= {
            cand check 'Diagnose a domain''s mail servers on ports 25, 587 and 465'
            cand send 'Run one SMTP transaction with a live transcript (swaks-style)'
            cand shell 'Type SMTP by hand; runs a script when stdin is not a terminal'
            cand explain 'Explain reply codes, reply lines, or a pasted bounce or log (stdin)'
            cand completions 'Print shell completions'
            cand man 'Print the man page (roff)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'smtp-doctor;help;check'= {
        }
        &'smtp-doctor;help;send'= {
        }
        &'smtp-doctor;help;shell'= {
        }
        &'smtp-doctor;help;explain'= {
        }
        &'smtp-doctor;help;completions'= {
        }
        &'smtp-doctor;help;man'= {
        }
        &'smtp-doctor;help;help'= {
        }
    ]
    $completions[$command]
}
