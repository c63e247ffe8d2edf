"""Controls of the HTTP endpoints family."""

from readiness.controls.model import Control, Severity

_F = "http"

CONTROLS = (
    Control(
        "HTTP-HEALTH",
        "Health endpoint answers",
        _F,
        Severity.CRITICAL,
        "Load balancers and orchestrators route traffic by the health endpoint; a service "
        "without one cannot be operated safely.",
        "Serve a health endpoint (e.g. /healthz) that answers 2xx within its timeout, "
        "with a JSON status when the profile expects one.",
        ("SOC 2 CC7.2", "Google SRE Book ch. 22", "Kubernetes liveness probes"),
    ),
    Control(
        "HTTP-READY",
        "Readiness endpoint answers",
        _F,
        Severity.HIGH,
        "A readiness endpoint tells the platform when an instance may take traffic; without "
        "it, deployments send requests to instances that are still starting or draining.",
        "Serve a readiness endpoint (e.g. /readyz) that answers 2xx only when the service "
        "can handle requests (dependencies reachable, warm-up done).",
        ("SOC 2 CC7.2", "Kubernetes readiness probes", "Google SRE Book ch. 22"),
    ),
    Control(
        "HTTP-METRICS",
        "Metrics endpoint exposes the required metrics",
        _F,
        Severity.MEDIUM,
        "Alerts and SLOs are computed from the service's metrics; a missing or unparsable "
        "metrics endpoint leaves the release unobserved.",
        "Expose Prometheus text exposition on the metrics path (e.g. with "
        "prometheus_client) including every metric the profile requires.",
        (
            "SOC 2 CC7.2",
            "NIST SP 800-53 SI-4",
            "Prometheus exposition formats",
            "Google SRE Book ch. 6",
        ),
    ),
    Control(
        "HTTP-TLS-VERSION",
        "Only TLS 1.2 or newer is accepted",
        _F,
        Severity.HIGH,
        "TLS 1.0 and 1.1 are deprecated (RFC 8996) and expose clients to downgrade and "
        "cipher attacks.",
        "Set the server's minimum protocol to TLS 1.2 (nginx: ssl_protocols TLSv1.2 "
        "TLSv1.3; OpenSSL: MinProtocol = TLSv1.2).",
        (
            "OWASP ASVS 4.0.3 V9.1.3",
            "NIST SP 800-53 SC-8(1)",
            "NIST SP 800-53 SC-13",
            "SOC 2 CC6.7",
            "RFC 8996",
            "NIST SP 800-52r2 3.1",
        ),
    ),
    Control(
        "HTTP-TLS-CIPHERS",
        "TLS 1.2 cipher suites follow the policy",
        _F,
        Severity.HIGH,
        'A modern cipher suite configuration (Mozilla Server Side TLS "intermediate": '
        "forward-secret ECDHE/DHE key exchange with AES-GCM or ChaCha20-Poly1305) keeps "
        "TLS 1.2 clients off static-RSA key exchange, CBC modes and SHA-1 MACs, which "
        "lose forward secrecy and invite padding-oracle and downgrade attacks. TLS 1.3 "
        "suites are all acceptable and not judged.",
        "Restrict the server's TLS 1.2 suites to the profile's policy (default Mozilla "
        "intermediate; nginx: ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:...; OpenSSL: "
        "CipherString), or turn TLS 1.2 off where the policy is modern.",
        (
            "Mozilla Server Side TLS 5.7 (intermediate)",
            "NIST SP 800-52r2 3.3.1",
            "OWASP ASVS 4.0.3 V9.1.2",
            "NIST SP 800-53 SC-13",
            "SOC 2 CC6.7",
        ),
    ),
    Control(
        "HTTP-TLS-CHAIN",
        "Certificate chain is trusted",
        _F,
        Severity.CRITICAL,
        "Clients reject certificates that do not chain to a trusted root, are expired or "
        "not yet valid; an untrusted chain breaks every client or trains users to click "
        "through warnings.",
        "Serve the full chain (leaf + intermediates) issued by a CA the clients trust; "
        "renew expired certificates.",
        (
            "OWASP ASVS 4.0.3 V9.2.1",
            "NIST SP 800-53 SC-8",
            "NIST SP 800-53 SC-17",
            "SOC 2 CC6.7",
            "NIST SP 800-52r2 3.5",
        ),
    ),
    Control(
        "HTTP-TLS-HOSTNAME",
        "Certificate matches the service name",
        _F,
        Severity.CRITICAL,
        "A certificate for another name fails verification in every client and allows "
        "impersonation where verification is disabled.",
        "Issue the certificate with the service's DNS name (or IP) in subjectAltName.",
        ("OWASP ASVS 4.0.3 V9.2.1", "NIST SP 800-53 SC-17", "RFC 6125"),
    ),
    Control(
        "HTTP-TLS-EXPIRY",
        "Certificate does not expire soon",
        _F,
        Severity.HIGH,
        "An expired certificate is a full outage for every client; the release must not go "
        "out with a certificate about to expire.",
        "Renew the certificate (automate renewal, e.g. ACME/cert-manager) well before the "
        "fail threshold.",
        ("OWASP ASVS 4.0.3 V9.2.1", "NIST SP 800-53 SC-17", "NIST SP 1800-16"),
    ),
    Control(
        "HTTP-TLS-EXPIRY-WARN",
        "Certificate renewal is due",
        _F,
        Severity.LOW,
        "A certificate inside the warning window needs renewal soon; noticing it before "
        "the fail threshold avoids a rushed renewal.",
        "Schedule the renewal now, or check that automatic renewal is working.",
        ("NIST SP 800-53 SC-17", "NIST SP 1800-16"),
    ),
    Control(
        "HTTP-REDIRECT",
        "Plain HTTP redirects to HTTPS",
        _F,
        Severity.MEDIUM,
        "Users and links that reach the plain-HTTP address must be sent to HTTPS rather "
        "than served in clear text.",
        "Answer every plain-HTTP request with a 301/308 redirect to the https:// URL.",
        ("OWASP ASVS 4.0.3 V9.1.1", "NIST SP 800-53 SC-8", "SOC 2 CC6.7", "NIST SP 800-52r2"),
    ),
    Control(
        "HTTP-HSTS",
        "Strict-Transport-Security with a long max-age",
        _F,
        Severity.MEDIUM,
        "HSTS makes browsers refuse plain HTTP for the host, closing the window for "
        "SSL-stripping attacks between the first request and the redirect.",
        "Send 'Strict-Transport-Security: max-age=31536000; includeSubDomains' on every "
        "HTTPS response.",
        (
            "OWASP ASVS 4.0.3 V14.4.5",
            "NIST SP 800-53 SC-8",
            "SOC 2 CC6.7",
            "RFC 6797",
            "OWASP Secure Headers Project",
        ),
    ),
    Control(
        "HTTP-SECURITY-HEADERS",
        "Browser security headers are set",
        _F,
        Severity.MEDIUM,
        "Content-Security-Policy, X-Content-Type-Options, frame protection and "
        "Referrer-Policy limit cross-site scripting, MIME sniffing, clickjacking and "
        "leaking URLs to third parties.",
        "Send Content-Security-Policy, 'X-Content-Type-Options: nosniff', "
        "'X-Frame-Options: DENY' (or CSP frame-ancestors) and 'Referrer-Policy: "
        "strict-origin-when-cross-origin' (or stricter).",
        (
            "OWASP ASVS 4.0.3 V14.4.3",
            "OWASP ASVS 4.0.3 V14.4.4",
            "OWASP ASVS 4.0.3 V14.4.6",
            "OWASP ASVS 4.0.3 V14.4.7",
            "OWASP Secure Headers Project",
        ),
    ),
    Control(
        "HTTP-PRIVATE-AUTH",
        "Private endpoints require authentication",
        _F,
        Severity.HIGH,
        "Monitoring and admin endpoints reveal internals (versions, hosts, business "
        "volumes) and sometimes allow changes; they must not answer anonymous requests.",
        "Put the private paths behind authentication (reverse-proxy auth, bearer token, "
        "mTLS) or serve them on an internal-only listener.",
        (
            "OWASP ASVS 4.0.3 V4.1.1",
            "NIST SP 800-53 AC-3",
            "SOC 2 CC6.1",
            "OWASP API Security Top 10 API8:2023",
        ),
    ),
    Control(
        "HTTP-DEFAULT-CREDENTIALS",
        "Vendor default credentials are refused",
        _F,
        Severity.CRITICAL,
        "Default credentials such as admin/admin are the first thing an attacker tries; "
        "accepting them hands over the service.",
        "Change the default password at provisioning (e.g. Grafana "
        "GF_SECURITY_ADMIN_PASSWORD) or disable the built-in account and basic auth.",
        ("OWASP ASVS 4.0.3 V2.5.4", "NIST SP 800-53 IA-5", "SOC 2 CC6.1", "CWE-1392"),
    ),
    Control(
        "HTTP-LATENCY",
        "Latency p95 within budget",
        _F,
        Severity.MEDIUM,
        "A service that is already slow before the release has no headroom; the p95 over "
        "repeated requests shows tail latency users will feel.",
        "Find the slow path (profiling, traces), fix it or scale out before releasing; "
        "or adjust the budget in the profile if it is wrong.",
        ("SOC 2 A1.1", "Google SRE Book ch. 6 (latency)"),
    ),
)
