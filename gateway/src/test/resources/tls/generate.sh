#!/usr/bin/env bash
# Test-only PKI for the in-JVM TLS origin: a CA and one server certificate for the names the tests use.
# Not a secret: these keys exist only for tests on loopback (the in-JVM origin and TLS proxy, and a client
# certificate for mutual TLS); the CA's key is thrown away after signing.
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
# a client certificate for mutual TLS to a proxy (PKCS#8 key, as Netty reads it)
openssl req -newkey rsa:2048 -nodes -keyout client.key.tmp -out client.csr -subj "/CN=sluice-gateway"
printf 'extendedKeyUsage=clientAuth\n' > client.ext
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 36500 -extfile client.ext
openssl pkcs8 -topk8 -nocrypt -in client.key.tmp -out client.key
# a client certificate from no CA the proxy trusts: mutual TLS must refuse it
openssl req -x509 -newkey rsa:2048 -nodes -keyout stranger.key.tmp -out stranger.pem -days 36500 -subj "/CN=stranger"
openssl pkcs8 -topk8 -nocrypt -in stranger.key.tmp -out stranger.key
rm -f origin.csr origin.ext ca.srl ca.key origin.key client.csr client.ext client.key.tmp stranger.key.tmp
