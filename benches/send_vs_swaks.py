#!/usr/bin/env python3
"""Benchmark: a full `smtp-doctor send` session against swaks, same server, same message.

Needs the real servers on loopback (bash tests/real/setup.sh) and swaks (installed by it).
Builds the release binary, runs each command RUNS times (default 30) against Postfix on
127.0.0.1, and prints median wall time, the ratio to swaks and peak memory (max RSS).
Targets (issue 2): at most 0.15x swaks for plain, 0.3x for STARTTLS, peak memory under 10 MB.
This prints figures; it asserts nothing.

    python3 benches/send_vs_swaks.py [RUNS]
"""
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATE = os.environ.get("SMTP_DOCTOR_REAL_DIR", "/tmp/smtp-doctor-real")


def load_env():
    env = {}
    with open(os.path.join(STATE, "env")) as f:
        for line in f:
            if "=" in line:
                k, v = line.strip().split("=", 1)
                env[k] = v
    return env


def run_once(argv):
    """Runs argv, returns (seconds, exit status)."""
    start = time.perf_counter()
    code = subprocess.call(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, code


def peak_rss_kib(argv):
    """Max RSS of one run, measured by GNU time: Linux carries the pre-exec memory of the
    process that forked the command into its max RSS, so it must be a small parent, not Python."""
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    return int(out.stderr.strip().splitlines()[-1])


def measure(name, argv, runs):
    run_once(argv)  # warm-up: page cache, Postfix process pool
    times = []
    for _ in range(runs):
        t, code = run_once(argv)
        if code != 0:
            sys.exit(f"{name}: {' '.join(argv)} exited {code}")
        times.append(t)
    return statistics.median(times), peak_rss_kib(argv)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    env = load_env()
    bin_ = os.environ.get("SMTP_DOCTOR_BIN")
    if not bin_:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        bin_ = os.path.join(ROOT, "target", "release", "smtp-doctor")
    baseline = peak_rss_kib(["true"])
    server = f"{env['SERVER_HOST']}:{env['POSTFIX_PLAIN_PORT']}"
    to, sender = env["LOCAL_RCPT"], "bench@client.test"
    common = ["--to", to, "--from", sender, "--subject", "bench", "--body", "benchmark body"]
    cases = {
        "plain": (
            [bin_, "send", "-s", server, "--no-tls", "-q"] + common,
            ["swaks", "--server", server, "--silent", "2"] + common[:4] + ["--header", "Subject: bench", "--body", "benchmark body"],
        ),
        "starttls": (
            [bin_, "send", "-s", server, "--starttls", "--sni", env["SERVER_NAME"], "--ca-file", env["CA_FILE"], "-q"] + common,
            ["swaks", "--server", server, "--tls", "--silent", "2"] + common[:4] + ["--header", "Subject: bench", "--body", "benchmark body"],
        ),
    }
    targets = {"plain": 0.15, "starttls": 0.30}
    print(f"{runs} runs each, median wall time, against Postfix on {server}")
    print(f"(peak RSS measured with GNU time; `true` alone shows {baseline / 1024:.1f} MiB there)")
    print(f"{'case':<10}{'smtp-doctor':>14}{'swaks':>12}{'ratio':>9}{'target':>9}{'peak RSS':>12}")
    for case, (ours, theirs) in cases.items():
        t_ours, rss_ours = measure(f"smtp-doctor {case}", ours, runs)
        t_swaks, _ = measure(f"swaks {case}", theirs, runs)
        ratio = t_ours / t_swaks
        verdict = "ok" if ratio <= targets[case] else "MISSED"
        print(f"{case:<10}{t_ours * 1000:>11.1f} ms{t_swaks * 1000:>9.1f} ms{ratio:>8.2f}x{targets[case]:>8.2f}x"
              f"{rss_ours / 1024:>9.1f} MiB  {verdict}")


if __name__ == "__main__":
    main()
