"""Container healthcheck of the app image: exit 0 when GET <url> answers 2xx, else 1.

Standard library only, so a check every few seconds costs a bare interpreter start:
    python /opt/shop/healthcheck.py [URL]   (default: HEALTHCHECK_URL, else the command API)
"""

import os
import sys
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8001/healthz"

url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("HEALTHCHECK_URL", DEFAULT_URL)
try:
    with urllib.request.urlopen(url, timeout=3) as response:
        sys.exit(0 if 200 <= response.status < 300 else 1)
except Exception as error:  # a refused connection, a 503, a timeout: all mean unhealthy
    print(f"unhealthy: {url}: {error}", file=sys.stderr)
    sys.exit(1)
