
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'smtp-doctor' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'smtp-doctor'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'smtp-doctor' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR in the environment means never, unless `always`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline in seconds for each network step (each reply, write and TLS handshake)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline in seconds for each TCP connection attempt')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'Ask this DNS server instead of the system resolver (like `dig @server`)')
            [CompletionResult]::new('--tls-backend', '--tls-backend', [CompletionResultType]::ParameterName, 'TLS implementation to use')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines events on stdout instead of the human transcript')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: full explanations, transcripts of every probe')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: full explanations, transcripts of every probe')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: only errors and the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: only errors and the result')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 addresses only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 addresses only')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify server certificates (the verdict is still reported, loudly)')
            [CompletionResult]::new('--show-crlf', '--show-crlf', [CompletionResultType]::ParameterName, 'Make every CR and LF visible in the transcript')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Show AUTH payloads and passwords instead of redacting them')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Diagnose a domain''s mail servers on ports 25, 587 and 465')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Run one SMTP transaction with a live transcript (swaks-style)')
            [CompletionResult]::new('shell', 'shell', [CompletionResultType]::ParameterValue, 'Type SMTP by hand; runs a script when stdin is not a terminal')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Explain reply codes, reply lines, or a pasted bounce or log (stdin)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'smtp-doctor;check' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Probe this host instead of resolving MX')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Probe this host instead of resolving MX')
            [CompletionResult]::new('--ports', '--ports', [CompletionResultType]::ParameterName, 'Ports to probe, each PORT[/smtp|submission|tls] (465 means tls, 587 submission, any other smtp) [default: 25,587,465, or the port given in --server HOST:PORT]')
            [CompletionResult]::new('--ehlo', '--ehlo', [CompletionResultType]::ParameterName, 'EHLO name to announce (default: this host''s FQDN)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Most probes in flight at once')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'SNI name to send (default: the host name probed)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR in the environment means never, unless `always`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline in seconds for each network step (each reply, write and TLS handshake)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline in seconds for each TCP connection attempt')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'Ask this DNS server instead of the system resolver (like `dig @server`)')
            [CompletionResult]::new('--tls-backend', '--tls-backend', [CompletionResultType]::ParameterName, 'TLS implementation to use')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines events on stdout instead of the human transcript')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: full explanations, transcripts of every probe')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: full explanations, transcripts of every probe')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: only errors and the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: only errors and the result')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 addresses only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 addresses only')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify server certificates (the verdict is still reported, loudly)')
            [CompletionResult]::new('--show-crlf', '--show-crlf', [CompletionResultType]::ParameterName, 'Make every CR and LF visible in the transcript')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Show AUTH payloads and passwords instead of redacting them')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smtp-doctor;send' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'Recipient (repeatable; comma-separated lists too)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Recipient (repeatable; comma-separated lists too)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Envelope sender and From: (default: smtp-doctor@this host''s FQDN)')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Envelope sender and From: (default: smtp-doctor@this host''s FQDN)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Server to use instead of the first recipient''s best MX')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Server to use instead of the first recipient''s best MX')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Port (25 by default; 465 means implicit TLS, 587 STARTTLS required)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port (25 by default; 465 means implicit TLS, 587 STARTTLS required)')
            [CompletionResult]::new('--ehlo', '--ehlo', [CompletionResultType]::ParameterName, 'EHLO name to announce (default: this host''s FQDN)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'SNI name to send (default: the server''s host name)')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Authenticate; without a value, the strongest mechanism offered')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Authenticate; without a value, the strongest mechanism offered')
            [CompletionResult]::new('--auth-user', '--auth-user', [CompletionResultType]::ParameterName, 'User name for AUTH')
            [CompletionResult]::new('--auth-password', '--auth-password', [CompletionResultType]::ParameterName, 'Password (or OAuth token for XOAUTH2); prompted without echo when absent on a terminal')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a header (repeatable), e.g. "X-Test: 1"; replaces a default header of the same name')
            [CompletionResult]::new('--subject', '--subject', [CompletionResultType]::ParameterName, 'Subject of the generated message')
            [CompletionResult]::new('--body', '--body', [CompletionResultType]::ParameterName, 'Body text, @FILE to read a file, or - for stdin')
            [CompletionResult]::new('--attach', '--attach', [CompletionResultType]::ParameterName, 'Attach a file (repeatable); makes the message MIME multipart')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'Send this raw RFC 5322 message (FILE or - for stdin) instead of building one')
            [CompletionResult]::new('--quit-after', '--quit-after', [CompletionResultType]::ParameterName, 'Stop cleanly after this step')
            [CompletionResult]::new('--line-ending', '--line-ending', [CompletionResultType]::ParameterName, 'Line ending for commands: lf and cr deliberately break RFC 5321, to reproduce a broken client')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR in the environment means never, unless `always`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline in seconds for each network step (each reply, write and TLS handshake)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline in seconds for each TCP connection attempt')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'Ask this DNS server instead of the system resolver (like `dig @server`)')
            [CompletionResult]::new('--tls-backend', '--tls-backend', [CompletionResultType]::ParameterName, 'TLS implementation to use')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file')
            [CompletionResult]::new('--helo', '--helo', [CompletionResultType]::ParameterName, 'Say HELO instead of EHLO')
            [CompletionResult]::new('--starttls', '--starttls', [CompletionResultType]::ParameterName, 'Require STARTTLS: fail if the server does not offer it (never fall back)')
            [CompletionResult]::new('--tls-optional', '--tls-optional', [CompletionResultType]::ParameterName, 'Use STARTTLS when offered, carry on in plaintext otherwise (default on port 25)')
            [CompletionResult]::new('--tls-on-connect', '--tls-on-connect', [CompletionResultType]::ParameterName, 'Implicit TLS from the first byte (default on port 465)')
            [CompletionResult]::new('--no-tls', '--no-tls', [CompletionResultType]::ParameterName, 'Do not use TLS at all, even when offered')
            [CompletionResult]::new('--allow-plaintext-auth', '--allow-plaintext-auth', [CompletionResultType]::ParameterName, 'Allow sending credentials over a connection without TLS')
            [CompletionResult]::new('--pipeline', '--pipeline', [CompletionResultType]::ParameterName, 'Use PIPELINING when offered (RFC 2920)')
            [CompletionResult]::new('--8bitmime', '--8bitmime', [CompletionResultType]::ParameterName, 'Declare BODY=8BITMIME on MAIL FROM (when offered)')
            [CompletionResult]::new('--smtputf8', '--smtputf8', [CompletionResultType]::ParameterName, 'Declare SMTPUTF8 on MAIL FROM (when offered)')
            [CompletionResult]::new('--chunking', '--chunking', [CompletionResultType]::ParameterName, 'Send the message with BDAT (CHUNKING, RFC 3030) when offered')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines events on stdout instead of the human transcript')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: full explanations, transcripts of every probe')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: full explanations, transcripts of every probe')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: only errors and the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: only errors and the result')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 addresses only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 addresses only')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify server certificates (the verdict is still reported, loudly)')
            [CompletionResult]::new('--show-crlf', '--show-crlf', [CompletionResultType]::ParameterName, 'Make every CR and LF visible in the transcript')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Show AUTH payloads and passwords instead of redacting them')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smtp-doctor;shell' {
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'Run this script file instead of reading commands interactively')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'SNI name to send (default: the server''s host name)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Port, when TARGET has none (default 25; 465 means implicit TLS)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port, when TARGET has none (default 25; 465 means implicit TLS)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR in the environment means never, unless `always`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline in seconds for each network step (each reply, write and TLS handshake)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline in seconds for each TCP connection attempt')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'Ask this DNS server instead of the system resolver (like `dig @server`)')
            [CompletionResult]::new('--tls-backend', '--tls-backend', [CompletionResultType]::ParameterName, 'TLS implementation to use')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Connect with implicit TLS (default on port 465)')
            [CompletionResult]::new('--allow-plaintext-auth', '--allow-plaintext-auth', [CompletionResultType]::ParameterName, 'Let /auth send credentials over a connection without TLS')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines events on stdout instead of the human transcript')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: full explanations, transcripts of every probe')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: full explanations, transcripts of every probe')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: only errors and the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: only errors and the result')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 addresses only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 addresses only')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify server certificates (the verdict is still reported, loudly)')
            [CompletionResult]::new('--show-crlf', '--show-crlf', [CompletionResultType]::ParameterName, 'Make every CR and LF visible in the transcript')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Show AUTH payloads and passwords instead of redacting them')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smtp-doctor;explain' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR in the environment means never, unless `always`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline in seconds for each network step (each reply, write and TLS handshake)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline in seconds for each TCP connection attempt')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'Ask this DNS server instead of the system resolver (like `dig @server`)')
            [CompletionResult]::new('--tls-backend', '--tls-backend', [CompletionResultType]::ParameterName, 'TLS implementation to use')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines events on stdout instead of the human transcript')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: full explanations, transcripts of every probe')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: full explanations, transcripts of every probe')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: only errors and the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: only errors and the result')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 addresses only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 addresses only')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify server certificates (the verdict is still reported, loudly)')
            [CompletionResult]::new('--show-crlf', '--show-crlf', [CompletionResultType]::ParameterName, 'Make every CR and LF visible in the transcript')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Show AUTH payloads and passwords instead of redacting them')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smtp-doctor;completions' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR in the environment means never, unless `always`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline in seconds for each network step (each reply, write and TLS handshake)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline in seconds for each TCP connection attempt')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'Ask this DNS server instead of the system resolver (like `dig @server`)')
            [CompletionResult]::new('--tls-backend', '--tls-backend', [CompletionResultType]::ParameterName, 'TLS implementation to use')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines events on stdout instead of the human transcript')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: full explanations, transcripts of every probe')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: full explanations, transcripts of every probe')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: only errors and the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: only errors and the result')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 addresses only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 addresses only')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify server certificates (the verdict is still reported, loudly)')
            [CompletionResult]::new('--show-crlf', '--show-crlf', [CompletionResultType]::ParameterName, 'Make every CR and LF visible in the transcript')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Show AUTH payloads and passwords instead of redacting them')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smtp-doctor;man' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour (NO_COLOR in the environment means never, unless `always`)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline in seconds for each network step (each reply, write and TLS handshake)')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Deadline in seconds for each TCP connection attempt')
            [CompletionResult]::new('--dns-server', '--dns-server', [CompletionResultType]::ParameterName, 'Ask this DNS server instead of the system resolver (like `dig @server`)')
            [CompletionResult]::new('--tls-backend', '--tls-backend', [CompletionResultType]::ParameterName, 'TLS implementation to use')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Also trust the CA certificates in this PEM file')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON Lines events on stdout instead of the human transcript')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More detail: full explanations, transcripts of every probe')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More detail: full explanations, transcripts of every probe')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Less output: only errors and the result')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Less output: only errors and the result')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 addresses only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 addresses only')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify server certificates (the verdict is still reported, loudly)')
            [CompletionResult]::new('--show-crlf', '--show-crlf', [CompletionResultType]::ParameterName, 'Make every CR and LF visible in the transcript')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Show AUTH payloads and passwords instead of redacting them')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'smtp-doctor;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Diagnose a domain''s mail servers on ports 25, 587 and 465')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Run one SMTP transaction with a live transcript (swaks-style)')
            [CompletionResult]::new('shell', 'shell', [CompletionResultType]::ParameterValue, 'Type SMTP by hand; runs a script when stdin is not a terminal')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Explain reply codes, reply lines, or a pasted bounce or log (stdin)')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page (roff)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'smtp-doctor;help;check' {
            break
        }
        'smtp-doctor;help;send' {
            break
        }
        'smtp-doctor;help;shell' {
            break
        }
        'smtp-doctor;help;explain' {
            break
        }
        'smtp-doctor;help;completions' {
            break
        }
        'smtp-doctor;help;man' {
            break
        }
        'smtp-doctor;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
