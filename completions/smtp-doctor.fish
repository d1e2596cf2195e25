# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_smtp_doctor_global_optspecs
    string join \n json color= v/verbose q/quiet timeout= connect-timeout= dns-server= 4 6 tls-backend= ca-file= insecure show-crlf show-secrets h/help V/version
end

function __fish_smtp_doctor_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_smtp_doctor_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_smtp_doctor_using_subcommand
    set -l cmd (__fish_smtp_doctor_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless `always`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -l timeout -d 'Deadline in seconds for each network step (each reply, write and TLS handshake)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -l connect-timeout -d 'Deadline in seconds for each TCP connection attempt' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -l dns-server -d 'Ask this DNS server instead of the system resolver (like `dig @server`)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -l tls-backend -d 'TLS implementation to use' -r -f -a "rustls\t'rustls with the ring provider (default)'
native\t'The platform\'s TLS library (OpenSSL on Linux)'"
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -l ca-file -d 'Also trust the CA certificates in this PEM file' -r -F
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -l json -d 'Print JSON Lines events on stdout instead of the human transcript'
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -s v -l verbose -d 'More detail: full explanations, transcripts of every probe'
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -s q -l quiet -d 'Less output: only errors and the result'
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -s 4 -d 'Use IPv4 addresses only'
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -s 6 -d 'Use IPv6 addresses only'
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -l insecure -d 'Do not verify server certificates (the verdict is still reported, loudly)'
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -l show-crlf -d 'Make every CR and LF visible in the transcript'
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -l show-secrets -d 'Show AUTH payloads and passwords instead of redacting them'
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -s V -l version -d 'Print version'
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -f -a "check" -d 'Diagnose a domain\'s mail servers on ports 25, 587 and 465'
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -f -a "send" -d 'Run one SMTP transaction with a live transcript (swaks-style)'
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -f -a "shell" -d 'Type SMTP by hand; runs a script when stdin is not a terminal'
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -f -a "explain" -d 'Explain reply codes, reply lines, or a pasted bounce or log (stdin)'
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -f -a "man" -d 'Print the man page (roff)'
complete -c smtp-doctor -n "__fish_smtp_doctor_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -s s -l server -d 'Probe this host instead of resolving MX' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -l ports -d 'Ports to probe, each PORT[/smtp|submission|tls] (465 means tls, 587 submission, any other smtp) [default: 25,587,465, or the port given in --server HOST:PORT]' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -l ehlo -d 'EHLO name to announce (default: this host\'s FQDN)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -l concurrency -d 'Most probes in flight at once' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -l sni -d 'SNI name to send (default: the host name probed)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless `always`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -l timeout -d 'Deadline in seconds for each network step (each reply, write and TLS handshake)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -l connect-timeout -d 'Deadline in seconds for each TCP connection attempt' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -l dns-server -d 'Ask this DNS server instead of the system resolver (like `dig @server`)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -l tls-backend -d 'TLS implementation to use' -r -f -a "rustls\t'rustls with the ring provider (default)'
native\t'The platform\'s TLS library (OpenSSL on Linux)'"
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -l ca-file -d 'Also trust the CA certificates in this PEM file' -r -F
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -l json -d 'Print JSON Lines events on stdout instead of the human transcript'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -s v -l verbose -d 'More detail: full explanations, transcripts of every probe'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -s q -l quiet -d 'Less output: only errors and the result'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -s 4 -d 'Use IPv4 addresses only'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -s 6 -d 'Use IPv6 addresses only'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -l insecure -d 'Do not verify server certificates (the verdict is still reported, loudly)'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -l show-crlf -d 'Make every CR and LF visible in the transcript'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -l show-secrets -d 'Show AUTH payloads and passwords instead of redacting them'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand check" -s V -l version -d 'Print version'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -s t -l to -d 'Recipient (repeatable; comma-separated lists too)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -s f -l from -d 'Envelope sender and From: (default: smtp-doctor@this host\'s FQDN)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -s s -l server -d 'Server to use instead of the first recipient\'s best MX' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -s p -l port -d 'Port (25 by default; 465 means implicit TLS, 587 STARTTLS required)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l ehlo -d 'EHLO name to announce (default: this host\'s FQDN)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l sni -d 'SNI name to send (default: the server\'s host name)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -s a -l auth -d 'Authenticate; without a value, the strongest mechanism offered' -r -f -a "auto\t''
plain\t''
login\t''
cram-md5\t''
xoauth2\t''"
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l auth-user -d 'User name for AUTH' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l auth-password -d 'Password (or OAuth token for XOAUTH2); prompted without echo when absent on a terminal' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l header -d 'Add a header (repeatable), e.g. "X-Test: 1"; replaces a default header of the same name' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l subject -d 'Subject of the generated message' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l body -d 'Body text, @FILE to read a file, or - for stdin' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l attach -d 'Attach a file (repeatable); makes the message MIME multipart' -r -F
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l data -d 'Send this raw RFC 5322 message (FILE or - for stdin) instead of building one' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l quit-after -d 'Stop cleanly after this step' -r -f -a "connect\t'Right after the TCP (or implicit TLS) connection, before reading the banner'
banner\t'After the server\'s greeting'
ehlo\t'After EHLO (or HELO)'
tls\t'After STARTTLS and the second EHLO'
auth\t'After authentication'
mail\t'After MAIL FROM'
rcpt\t'After every RCPT TO'
data\t'After DATA was accepted (354), without sending the message: the connection is closed, which aborts the transaction'
dot\t'After the message and its final dot (the whole transaction)'"
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l line-ending -d 'Line ending for commands: lf and cr deliberately break RFC 5321, to reproduce a broken client' -r -f -a "crlf\t'`\\r\\n`, as RFC 5321 requires'
lf\t'A bare `\\n`: what a broken client or a terminal sends'
cr\t'A bare `\\r`'"
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless `always`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l timeout -d 'Deadline in seconds for each network step (each reply, write and TLS handshake)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l connect-timeout -d 'Deadline in seconds for each TCP connection attempt' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l dns-server -d 'Ask this DNS server instead of the system resolver (like `dig @server`)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l tls-backend -d 'TLS implementation to use' -r -f -a "rustls\t'rustls with the ring provider (default)'
native\t'The platform\'s TLS library (OpenSSL on Linux)'"
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l ca-file -d 'Also trust the CA certificates in this PEM file' -r -F
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l helo -d 'Say HELO instead of EHLO'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l starttls -d 'Require STARTTLS: fail if the server does not offer it (never fall back)'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l tls-optional -d 'Use STARTTLS when offered, carry on in plaintext otherwise (default on port 25)'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l tls-on-connect -d 'Implicit TLS from the first byte (default on port 465)'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l no-tls -d 'Do not use TLS at all, even when offered'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l allow-plaintext-auth -d 'Allow sending credentials over a connection without TLS'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l pipeline -d 'Use PIPELINING when offered (RFC 2920)'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l 8bitmime -d 'Declare BODY=8BITMIME on MAIL FROM (when offered)'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l smtputf8 -d 'Declare SMTPUTF8 on MAIL FROM (when offered)'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l chunking -d 'Send the message with BDAT (CHUNKING, RFC 3030) when offered'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l json -d 'Print JSON Lines events on stdout instead of the human transcript'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -s v -l verbose -d 'More detail: full explanations, transcripts of every probe'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -s q -l quiet -d 'Less output: only errors and the result'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -s 4 -d 'Use IPv4 addresses only'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -s 6 -d 'Use IPv6 addresses only'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l insecure -d 'Do not verify server certificates (the verdict is still reported, loudly)'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l show-crlf -d 'Make every CR and LF visible in the transcript'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -l show-secrets -d 'Show AUTH payloads and passwords instead of redacting them'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand send" -s V -l version -d 'Print version'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -l script -d 'Run this script file instead of reading commands interactively' -r -F
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -l sni -d 'SNI name to send (default: the server\'s host name)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -s p -l port -d 'Port, when TARGET has none (default 25; 465 means implicit TLS)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless `always`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -l timeout -d 'Deadline in seconds for each network step (each reply, write and TLS handshake)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -l connect-timeout -d 'Deadline in seconds for each TCP connection attempt' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -l dns-server -d 'Ask this DNS server instead of the system resolver (like `dig @server`)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -l tls-backend -d 'TLS implementation to use' -r -f -a "rustls\t'rustls with the ring provider (default)'
native\t'The platform\'s TLS library (OpenSSL on Linux)'"
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -l ca-file -d 'Also trust the CA certificates in this PEM file' -r -F
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -l tls -d 'Connect with implicit TLS (default on port 465)'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -l allow-plaintext-auth -d 'Let /auth send credentials over a connection without TLS'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -l json -d 'Print JSON Lines events on stdout instead of the human transcript'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -s v -l verbose -d 'More detail: full explanations, transcripts of every probe'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -s q -l quiet -d 'Less output: only errors and the result'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -s 4 -d 'Use IPv4 addresses only'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -s 6 -d 'Use IPv6 addresses only'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -l insecure -d 'Do not verify server certificates (the verdict is still reported, loudly)'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -l show-crlf -d 'Make every CR and LF visible in the transcript'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -l show-secrets -d 'Show AUTH payloads and passwords instead of redacting them'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand shell" -s V -l version -d 'Print version'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand explain" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless `always`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand explain" -l timeout -d 'Deadline in seconds for each network step (each reply, write and TLS handshake)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand explain" -l connect-timeout -d 'Deadline in seconds for each TCP connection attempt' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand explain" -l dns-server -d 'Ask this DNS server instead of the system resolver (like `dig @server`)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand explain" -l tls-backend -d 'TLS implementation to use' -r -f -a "rustls\t'rustls with the ring provider (default)'
native\t'The platform\'s TLS library (OpenSSL on Linux)'"
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand explain" -l ca-file -d 'Also trust the CA certificates in this PEM file' -r -F
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand explain" -l json -d 'Print JSON Lines events on stdout instead of the human transcript'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand explain" -s v -l verbose -d 'More detail: full explanations, transcripts of every probe'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand explain" -s q -l quiet -d 'Less output: only errors and the result'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand explain" -s 4 -d 'Use IPv4 addresses only'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand explain" -s 6 -d 'Use IPv6 addresses only'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand explain" -l insecure -d 'Do not verify server certificates (the verdict is still reported, loudly)'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand explain" -l show-crlf -d 'Make every CR and LF visible in the transcript'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand explain" -l show-secrets -d 'Show AUTH payloads and passwords instead of redacting them'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand explain" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand explain" -s V -l version -d 'Print version'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand completions" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless `always`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand completions" -l timeout -d 'Deadline in seconds for each network step (each reply, write and TLS handshake)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand completions" -l connect-timeout -d 'Deadline in seconds for each TCP connection attempt' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand completions" -l dns-server -d 'Ask this DNS server instead of the system resolver (like `dig @server`)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand completions" -l tls-backend -d 'TLS implementation to use' -r -f -a "rustls\t'rustls with the ring provider (default)'
native\t'The platform\'s TLS library (OpenSSL on Linux)'"
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand completions" -l ca-file -d 'Also trust the CA certificates in this PEM file' -r -F
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand completions" -l json -d 'Print JSON Lines events on stdout instead of the human transcript'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand completions" -s v -l verbose -d 'More detail: full explanations, transcripts of every probe'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand completions" -s q -l quiet -d 'Less output: only errors and the result'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand completions" -s 4 -d 'Use IPv4 addresses only'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand completions" -s 6 -d 'Use IPv6 addresses only'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand completions" -l insecure -d 'Do not verify server certificates (the verdict is still reported, loudly)'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand completions" -l show-crlf -d 'Make every CR and LF visible in the transcript'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand completions" -l show-secrets -d 'Show AUTH payloads and passwords instead of redacting them'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand completions" -s V -l version -d 'Print version'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand man" -l color -d 'When to use colour (NO_COLOR in the environment means never, unless `always`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand man" -l timeout -d 'Deadline in seconds for each network step (each reply, write and TLS handshake)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand man" -l connect-timeout -d 'Deadline in seconds for each TCP connection attempt' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand man" -l dns-server -d 'Ask this DNS server instead of the system resolver (like `dig @server`)' -r
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand man" -l tls-backend -d 'TLS implementation to use' -r -f -a "rustls\t'rustls with the ring provider (default)'
native\t'The platform\'s TLS library (OpenSSL on Linux)'"
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand man" -l ca-file -d 'Also trust the CA certificates in this PEM file' -r -F
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand man" -l json -d 'Print JSON Lines events on stdout instead of the human transcript'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand man" -s v -l verbose -d 'More detail: full explanations, transcripts of every probe'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand man" -s q -l quiet -d 'Less output: only errors and the result'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand man" -s 4 -d 'Use IPv4 addresses only'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand man" -s 6 -d 'Use IPv6 addresses only'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand man" -l insecure -d 'Do not verify server certificates (the verdict is still reported, loudly)'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand man" -l show-crlf -d 'Make every CR and LF visible in the transcript'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand man" -l show-secrets -d 'Show AUTH payloads and passwords instead of redacting them'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand man" -s V -l version -d 'Print version'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand help; and not __fish_seen_subcommand_from check send shell explain completions man help" -f -a "check" -d 'Diagnose a domain\'s mail servers on ports 25, 587 and 465'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand help; and not __fish_seen_subcommand_from check send shell explain completions man help" -f -a "send" -d 'Run one SMTP transaction with a live transcript (swaks-style)'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand help; and not __fish_seen_subcommand_from check send shell explain completions man help" -f -a "shell" -d 'Type SMTP by hand; runs a script when stdin is not a terminal'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand help; and not __fish_seen_subcommand_from check send shell explain completions man help" -f -a "explain" -d 'Explain reply codes, reply lines, or a pasted bounce or log (stdin)'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand help; and not __fish_seen_subcommand_from check send shell explain completions man help" -f -a "completions" -d 'Print shell completions'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand help; and not __fish_seen_subcommand_from check send shell explain completions man help" -f -a "man" -d 'Print the man page (roff)'
complete -c smtp-doctor -n "__fish_smtp_doctor_using_subcommand help; and not __fish_seen_subcommand_from check send shell explain completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
