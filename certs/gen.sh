#!/usr/bin/env bash
# certs/gen.sh [OUTDIR] [--name NAME]... — generate the test PKI (root CA,
# intermediate CA, server and client certificates) with the openssl command line
# only (README.md, "Files and certificates", lists what it makes).
#
# --name NAME (repeatable) also issues a server certificate for your own host
# name or IPv4 address: OUTDIR/NAME.crt (leaf + intermediate) and NAME.key,
# valid like the others; run again with more names at any time (README
# "Using it": your own server).
#
# OUTDIR defaults to certs/out (gitignored) in the source tree; an installed
# copy needs it.  Idempotent: does nothing when
# OUTDIR/.done exists and is newer than this script.  Safe to run from any cwd
# and from several processes at once (flock on OUTDIR/.lock).
#
# Every certificate except "expired" is valid 2000-01-01 .. 2099-12-31, so it
# verifies whatever the clock says (host time, or a modem RTC left at 2004).
# "expired" is valid 2000-01-01 .. 2001-01-01 only.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self="$here/$(basename "${BASH_SOURCE[0]}")"
# Installed (/usr/share/sim800emu/certs/gen.sh, no source tree around it), the
# script has no place of its own to write to: OUTDIR is required.
outarg=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --name)
      [ $# -ge 2 ] && [[ "$2" =~ ^[A-Za-z0-9][A-Za-z0-9.-]*$ ]] ||
        { echo "$0: --name takes a host name or an IPv4 address" >&2; exit 2; }
      extra+=("$2"); shift 2 ;;
    -*) echo "usage: $0 [OUTDIR] [--name NAME]..." >&2; exit 2 ;;
    *) [ -z "$outarg" ] || { echo "usage: $0 [OUTDIR] [--name NAME]..." >&2; exit 2; }
       outarg=$1; shift ;;
  esac
done
if [ -z "$outarg" ] && [ ! -f "$here/../meson.build" ]; then
  echo "usage: $0 OUTDIR [--name NAME]...   (writes the test PKI into OUTDIR)" >&2
  exit 2
fi
out=${outarg:-"$here/out"}
mkdir -p "$out"
out=$(cd "$out" && pwd)

have_extra() { # true when every --name already has its certificate
  local n
  for n in "${extra[@]}"; do [ -f "$out/$n.crt" ] || return 1; done
  return 0
}
[ "$out/.done" -nt "$self" ] && have_extra && exit 0

exec 9>"$out/.lock"
flock 9

export OPENSSL_CONF=/dev/null   # no system config surprises

# --- your own names: a leaf each, from the intermediate CA ---------------------
issue_extra() {
  local n tmp san
  for n in "${extra[@]}"; do
    [ -f "$out/$n.crt" ] && continue
    tmp=$(mktemp -d)
    if [[ "$n" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]]; then san="IP:$n"; else san="DNS:$n"; fi
    printf '[ ca ]\ndefault_ca = x\n[ x ]\ndatabase = %s/index.txt\nnew_certs_dir = %s\nserial = %s/serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\ncopy_extensions = none\nemail_in_dn = no\npreserve = yes\n[ p ]\ncommonName = supplied\norganizationName = optional\n[ req ]\ndistinguished_name = dn\nprompt = no\n[ dn ]\nCN = unused\n[ v3 ]\nbasicConstraints = critical, CA:false\nkeyUsage = critical, digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\nsubjectAltName = %s\n' \
      "$tmp" "$tmp" "$tmp" "$san" > "$tmp/ca.cnf"
    : > "$tmp/index.txt"
    openssl rand -hex 8 > "$tmp/serial"
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out/$n.key" 2>/dev/null
    chmod 600 "$out/$n.key"
    openssl req -new -config "$tmp/ca.cnf" -key "$out/$n.key" -subj "/O=sim800emu test/CN=$n" \
      -out "$tmp/csr"
    openssl ca -batch -notext -preserveDN -config "$tmp/ca.cnf" -extensions v3 \
      -cert "$out/intermediate.crt" -keyfile "$out/intermediate.key" \
      -startdate 20000101000000Z -enddate 20991231235959Z -in "$tmp/csr" \
      -out "$out/$n.leaf.crt" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    cat "$out/$n.leaf.crt" "$out/intermediate.crt" > "$out/$n.crt"
    openssl verify -CAfile "$out/root.crt" -untrusted "$out/intermediate.crt" \
      "$out/$n.leaf.crt" >/dev/null
    rm -rf "$tmp"
    echo "certs/gen.sh: $out/$n.crt and $n.key for $san" >&2
  done
}

# Someone else may have made the base while we waited for the lock.
if [ "$out/.done" -nt "$self" ]; then
  issue_extra
  exit 0
fi

find "$out" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
work="$out/.work"
mkdir -p "$work/newcerts"
: > "$work/index.txt"
echo 1000 > "$work/serial"

VALID_FROM=20000101000000Z
VALID_TO=20991231235959Z

# Server leaves: file name | CN | SAN list
servers=(
  "localhost|localhost|DNS:localhost,IP:127.0.0.1"
  "www.gmail.com|www.gmail.com|DNS:www.gmail.com"
  "smtp.gmail.com|smtp.gmail.com|DNS:smtp.gmail.com,DNS:SMTP.GMAIL.COM"
  "mail.sim.com|mail.sim.com|DNS:mail.sim.com"
  "tls.example.test|tls.example.test|DNS:tls.example.test,IP:116.228.221.51,IP:116.228.221.52"
  "expired|tls.example.test|DNS:tls.example.test,IP:116.228.221.51,IP:116.228.221.52"
  "wrongname|wrong.example.test|DNS:wrong.example.test"
)

# --- openssl ca configuration and extension sections --------------------------
cat > "$work/ca.cnf" <<EOF
[ ca ]
default_ca = testca
[ testca ]
dir              = $work
database         = \$dir/index.txt
new_certs_dir    = \$dir/newcerts
serial           = \$dir/serial
default_md       = sha256
policy           = policy_any
unique_subject   = no
copy_extensions  = none
email_in_dn      = no
preserve         = yes
[ policy_any ]
commonName             = supplied
organizationName       = optional
organizationalUnitName = optional
[ req ]
distinguished_name = dn
prompt             = no
[ dn ]
CN = unused
EOF

{
  cat <<'EOF'
[ v3_root ]
basicConstraints       = critical, CA:true
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
[ v3_inter ]
basicConstraints       = critical, CA:true, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
[ v3_client ]
basicConstraints       = critical, CA:false
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
subjectAltName         = DNS:client.sim800.test
EOF
  for s in "${servers[@]}"; do
    IFS='|' read -r name cn san <<<"$s"
    # keyEncipherment: the SIM800 TLS 1.0 profile uses RSA key exchange.
    cat <<EOF
[ v3_srv_$name ]
basicConstraints       = critical, CA:false
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
subjectAltName         = $san
EOF
  done
  cat <<'EOF'
[ v3_selfsigned ]
basicConstraints       = critical, CA:false
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
subjectAltName         = DNS:tls.example.test,IP:116.228.221.51,IP:116.228.221.52
EOF
} > "$work/ext.cnf"

ca() { # ca ARGS... — quiet openssl ca with our config
  openssl ca -batch -notext -preserveDN -config "$work/ca.cnf" -extfile "$work/ext.cnf" \
    -startdate "$VALID_FROM" -enddate "$VALID_TO" "$@" 2>"$work/ca.err" \
    || { cat "$work/ca.err" >&2; exit 1; }
}

csr() { # csr NAME SUBJECT
  openssl req -new -config "$work/ca.cnf" -key "$out/$1.key" -subj "$2" -out "$work/$1.csr"
}

# --- keys, generated in parallel (the slow part) -----------------------------
names=(root intermediate client selfsigned)
for s in "${servers[@]}"; do names+=("${s%%|*}"); done
pids=()
for n in "${names[@]}"; do
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out/$n.key" 2>/dev/null &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
chmod 600 "$out"/*.key

# --- root CA (self-signed) ----------------------------------------------------
csr root "/O=sim800emu test PKI/CN=sim800emu Test Root CA"
ca -selfsign -keyfile "$out/root.key" -in "$work/root.csr" -extensions v3_root -out "$out/root.crt"
openssl x509 -in "$out/root.crt" -outform DER -out "$out/root.der"

# --- intermediate CA ----------------------------------------------------------
csr intermediate "/O=sim800emu test PKI/CN=sim800emu Test Intermediate CA"
ca -cert "$out/root.crt" -keyfile "$out/root.key" -in "$work/intermediate.csr" \
  -extensions v3_inter -out "$out/intermediate.crt"
openssl x509 -in "$out/intermediate.crt" -outform DER -out "$out/intermediate.der"
cat "$out/intermediate.crt" "$out/root.crt" > "$out/ca-chain.crt"

issue() { # issue NAME SUBJECT EXTSECTION [ca args...]
  local n=$1 subj=$2 ext=$3; shift 3
  csr "$n" "$subj"
  ca -cert "$out/intermediate.crt" -keyfile "$out/intermediate.key" -in "$work/$n.csr" \
    -extensions "$ext" -out "$out/$n.leaf.crt" "$@"
  cat "$out/$n.leaf.crt" "$out/intermediate.crt" > "$out/$n.crt"
}

# --- server leaves --------------------------------------------------------------
for s in "${servers[@]}"; do
  IFS='|' read -r name cn san <<<"$s"
  if [ "$name" = expired ]; then
    # Later -startdate/-enddate override the defaults given in ca().
    issue "$name" "/O=sim800emu test/CN=$cn" "v3_srv_$name" \
      -startdate 20000101000000Z -enddate 20010101000000Z
  else
    issue "$name" "/O=sim800emu test/CN=$cn" "v3_srv_$name"
  fi
done

# --- client certificate (clientAuth) -------------------------------------------
issue client "/O=sim800emu test/CN=sim800emu test client" v3_client
openssl pkcs12 -export -passout pass:sim800 -name client \
  -inkey "$out/client.key" -in "$out/client.leaf.crt" -certfile "$out/intermediate.crt" \
  -out "$out/client.p12"

# --- self-signed leaf (not issued by the test CA) -------------------------------
csr selfsigned "/O=sim800emu test/CN=tls.example.test"
ca -selfsign -keyfile "$out/selfsigned.key" -in "$work/selfsigned.csr" \
  -extensions v3_selfsigned -out "$out/selfsigned.leaf.crt"
cp "$out/selfsigned.leaf.crt" "$out/selfsigned.crt"

# --- sanity check: the chain verifies (expired/selfsigned must not) -------------
for s in "${servers[@]}" "client|x|x"; do
  n=${s%%|*}
  [ "$n" = expired ] && continue
  openssl verify -CAfile "$out/root.crt" -untrusted "$out/intermediate.crt" \
    "$out/$n.leaf.crt" >/dev/null
done

rm -rf "$work"
touch "$out/.done"
issue_extra
