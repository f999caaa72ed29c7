#!/usr/bin/env bash
# Test-only PKI for the in-JVM TLS origin: a CA and one server certificate for the names the tests use.
# Not a secret: these keys exist only to let a JDK TLS client verify the in-JVM origin on loopback.
set -euo pipefail
cd "$(dirname "$0")"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 36500 -subj "/CN=Sluice test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -newkey rsa:2048 -nodes -keyout origin.key -out origin.csr -subj "/CN=origin.example.test"
cat > origin.ext <<EXT
subjectAltName=DNS:proxy.golang.org,DNS:sum.golang.org,DNS:github.com,DNS:localhost,DNS:*.example.test,IP:127.0.0.1
extendedKeyUsage=serverAuth
EXT
openssl x509 -req -in origin.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out origin.pem -days 36500 -extfile origin.ext
openssl pkcs12 -export -in origin.pem -inkey origin.key -certfile ca.pem -name origin -out origin.p12 -passout pass:changeit
rm -f origin.csr origin.ext ca.srl ca.key origin.key
