#!/usr/bin/env python3
"""Times WS-Man Gets of CIM_SoftwareIdentity?InstanceID=AMT over one keep-alive connection with
HTTP Digest (the paper's experiment, single client). Until the benchmarks module exists this is
the command behind the latency figures in closing notes.

usage: get-latency.py HOST PORT PASSWORD [COUNT]
"""
import hashlib, http.client, os, re, sys, time

host, port, password = sys.argv[1], int(sys.argv[2]), sys.argv[3]
count = int(sys.argv[4]) if len(sys.argv) > 4 else 2000
body = open(os.path.join(os.path.dirname(__file__), "get-amt-version.xml"), "rb").read()
md5 = lambda s: hashlib.md5(s.encode()).hexdigest()

conn = http.client.HTTPConnection(host, port)
conn.request("POST", "/wsman", body, {"Content-Type": "application/soap+xml;charset=UTF-8"})
r = conn.getresponse(); r.read()
challenge = r.getheader("WWW-Authenticate")
realm = re.search(r'realm="([^"]+)"', challenge).group(1)
nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
conn.close()
conn = http.client.HTTPConnection(host, port)
ha1, ha2 = md5(f"admin:{realm}:{password}"), md5("POST:/wsman")
times = []
for i in range(1, count + 1):
    nc = f"{i:08x}"
    resp = md5(f"{ha1}:{nonce}:{nc}:c0ffee:auth:{ha2}")
    auth = (f'Digest username="admin", realm="{realm}", nonce="{nonce}", uri="/wsman", qop=auth, '
            f'nc={nc}, cnonce="c0ffee", response="{resp}"')
    t = time.perf_counter()
    conn.request("POST", "/wsman", body, {"Content-Type": "application/soap+xml;charset=UTF-8", "Authorization": auth})
    r = conn.getresponse(); data = r.read()
    times.append(time.perf_counter() - t)
    if r.status != 200 or b"VersionString" not in data:
        sys.exit(f"request {i}: HTTP {r.status}")
warm = sorted(times[count // 10:])
p = lambda q: warm[min(len(warm) - 1, int(q * len(warm)))] * 1000
print(f"{count} Gets (first 10% discarded as warm-up): p50 {p(0.5):.3f} ms, p90 {p(0.9):.3f} ms, "
      f"p99 {p(0.99):.3f} ms, max {warm[-1]*1000:.3f} ms")
