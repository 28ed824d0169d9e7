#!/bin/sh
# node-installer.sh - registers containerd-shim-spin-v2 with a node's containerd.
#
# Design:
#  * Works on a node root ($NODE_ROOT, default /) so the same script runs on a
#    node by hand or from a privileged DaemonSet with the host's / mounted.
#  * It never rewrites what it did not write: the containerd config keeps its
#    bytes and comments; the installer owns exactly one block between
#    "# BEGIN containerd-shim-spin (managed)" and "# END ..." markers, which
#    it regenerates as a whole (so versions installed side by side accumulate
#    there) and which --uninstall cuts out again, giving back the old bytes.
#  * Before touching anything it scans the file with a small TOML reader
#    (awk): unknown layouts, duplicate tables, unterminated strings/arrays, a
#    `spin` runtime someone else defined differently, or runtimes declared
#    with dotted keys/inline tables (where appending a [table] would be
#    invalid TOML) make it stop with a message and change nothing.  When a
#    containerd binary that understands the schema is at hand it also makes
#    containerd parse the old and the new file (`config dump`).
#  * Runtimes use the plain runtime_type names (io.containerd.spin.v2,
#    io.containerd.spin-vX-Y-Z.v2), so the binaries must be in containerd's
#    PATH: /usr/local/bin, or on k3s /opt/kwasm/bin plus symlinks in
#    /usr/local/bin (containerd#11480: binaries outside PATH break).
#  * containerd is restarted only when its config changed (or a previous
#    run's restart failed); a second run is a no-op apart from re-applying
#    the node labels.
#
# Usage: node-installer.sh [--uninstall | --remove-version X.Y.Z | --help]
# Environment: NODE_ROOT, SHIM_BINARY, SHIM_VERSION, NO_RESTART=1, NODE_NAME,
#   KUBECTL, CONTAINERD_BIN, HOST_EXEC (see --help).
set -eu

PROG='node-installer'
BEGIN_MARK='# BEGIN containerd-shim-spin (managed)'
END_MARK='# END containerd-shim-spin (managed)'
SHIM_NAME=containerd-shim-spin-v2

say() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    printf '%s: nothing was changed\n' "$PROG" >&2
    exit 1
}
# Failures after the first write cannot promise "nothing was changed".
fail_late() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

usage() {
    cat <<'EOF'
usage: node-installer.sh [--uninstall | --remove-version X.Y.Z | --help]

Installs containerd-shim-spin-v2 on this node and registers the runtimes
`spin` (io.containerd.spin.v2) and `spin-vX-Y-Z` (io.containerd.spin-vX-Y-Z.v2,
plus the aliases spin-vX-Y and spin-vX for the newest installed X.Y / X).

  --uninstall             remove every runtime, binary and label it added
  --remove-version V      remove one side-by-side version (all if it is the last)

environment:
  NODE_ROOT=/        the node's root file system (a DaemonSet mounts it)
  SHIM_BINARY=PATH   the shim binary to install (install only)
  SHIM_VERSION=V     its version; default: asked from `SHIM_BINARY -v`
  NO_RESTART=1       neither restart containerd nor label the node
  NODE_NAME=NAME     node to label; default: the node's /etc/hostname
  KUBECTL=CMD        kubectl command (default: kubectl)
  CONTAINERD_BIN=P   containerd used to validate the config (`config dump`)
  HOST_EXEC=CMD      prefix for commands run on the host (default: nothing
                     when NODE_ROOT=/, else nsenter into PID 1's namespaces)
EOF
}

# ---------------------------------------------------------------- arguments
MODE=install
REMOVE_VERSION=
while [ $# -gt 0 ]; do
    case $1 in
    --uninstall) MODE=uninstall ;;
    --remove-version)
        [ $# -ge 2 ] || die "--remove-version needs a version"
        MODE=remove; REMOVE_VERSION=$2; shift ;;
    --remove-version=*) MODE=remove; REMOVE_VERSION=${1#*=} ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
    esac
    shift
done

NODE_ROOT=${NODE_ROOT:-/}
[ -d "$NODE_ROOT" ] || die "NODE_ROOT '$NODE_ROOT' is not a directory"
ROOT=${NODE_ROOT%/}
while [ "${ROOT%/}" != "$ROOT" ]; do ROOT=${ROOT%/}; done

# ------------------------------------------------------------------ helpers
host_run() {
    if [ -n "${HOST_EXEC+set}" ]; then
        # shellcheck disable=SC2086  # HOST_EXEC is a command prefix
        $HOST_EXEC "$@"
    elif [ -z "$ROOT" ]; then
        "$@"
    else
        nsenter --target 1 --mount --uts --ipc --net --pid -- "$@"
    fi
}

toml_version_of() {   # prints the top-level `version` of a TOML file, or nothing
    awk '
        { sub(/\r$/, "") }
        /^[ \t]*\[/ { exit }
        /^[ \t]*version[ \t]*=/ {
            v = $0; sub(/^[ \t]*version[ \t]*=[ \t]*/, "", v); sub(/[ \t]*(#.*)?$/, "", v)
            print v; exit
        }' "$1"
}

# version_slug 0.1.0-rc.1 -> 0-1-0-rc-1 (runtime and label names allow no dots)
version_slug() { printf '%s' "$1" | tr -c 'A-Za-z0-9' '-'; }

check_version() {
    printf '%s\n' "$1" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$' ||
        die "version '$1' is not MAJOR.MINOR.PATCH[-pre]"
}

sort_versions() {   # newest last
    tr ' ' '\n' | grep -v '^$' | sort -u | sort -t. -k1,1n -k2,2n -k3,3n
}

# --------------------------------------------------------- layout detection
# Sets DISTRO, CONFIG (the file we edit), SOURCE (file to copy CONFIG from
# when it does not exist yet, or "-" for a fresh drop-in), SCHEMA_FROM and
# SCHEMA_FALLBACK (files whose top-level `version` gives the schema).
detect_layout() {
    k3s_gen=$ROOT/var/lib/rancher/k3s/agent/etc/containerd/config.toml
    rke2_gen=$ROOT/var/lib/rancher/rke2/agent/etc/containerd/config.toml
    mk8s=$ROOT/var/snap/microk8s/current/args/containerd-template.toml
    SOURCE=
    SCHEMA_FALLBACK=
    if [ -d "$ROOT/etc/k0s/containerd.d" ] || [ -f "$ROOT/etc/k0s/containerd.toml" ] ||
       [ -x "$ROOT/var/lib/k0s/bin/containerd" ]; then
        DISTRO=k0s
        CONFIG=$ROOT/etc/k0s/containerd.d/containerd-shim-spin.toml
        SOURCE=-
        SCHEMA_FROM=$ROOT/etc/k0s/containerd.toml
    elif [ -f "$mk8s" ]; then
        DISTRO=microk8s; CONFIG=$mk8s; SCHEMA_FROM=$mk8s
    elif [ -f "$rke2_gen" ]; then
        DISTRO=rke2; rancher_tmpl "$rke2_gen"
    elif [ -f "$k3s_gen" ]; then
        DISTRO=k3s; rancher_tmpl "$k3s_gen"
    elif [ -f "$ROOT/etc/containerd/config.toml" ]; then
        DISTRO=containerd; CONFIG=$ROOT/etc/containerd/config.toml; SCHEMA_FROM=$CONFIG
    else
        die "unknown node layout under '$NODE_ROOT': found none of
  /etc/containerd/config.toml (containerd), /var/lib/rancher/{k3s,rke2}/agent/etc/containerd/config.toml,
  /var/snap/microk8s/current/args/containerd-template.toml, /etc/k0s/containerd.d/ (k0s).
  Create /etc/containerd/config.toml (e.g. 'containerd config default') and run again."
    fi
}

# k3s and RKE2 regenerate config.toml on every start; the user-owned
# template next to it is what survives.  Releases on containerd 2.x (their
# generated config says version = 3) read config-v3.toml.tmpl, falling back
# to config.toml.tmpl; 1.x-based ones only read config.toml.tmpl.
rancher_tmpl() {
    dir=${1%/*}
    CONFIG=$dir/config.toml.tmpl
    if [ "$(toml_version_of "$1")" = 3 ] &&
       { [ -f "$dir/config-v3.toml.tmpl" ] || [ ! -f "$CONFIG" ]; }; then
        CONFIG=$dir/config-v3.toml.tmpl
    fi
    [ -f "$CONFIG" ] || SOURCE=$1
    # The template's own version counts; a base template has none and
    # renders to the generated file's.
    SCHEMA_FROM=$CONFIG
    SCHEMA_FALLBACK=$1
}

# ----------------------------------------------------------- TOML scanning
# Reads the config and prints tab-separated facts: the top-level version,
# where the managed block is and what it records, whether it is a Go
# template, and for every runtime we want to define whether it is absent,
# already defined the same way outside our block ("same"), or in the way
# ("conflict").  Anything it cannot follow is an "error" line.
# shellcheck disable=SC2016  # awk program, not shell
SCAN_AWK='
function fail(msg) { print "error\tline " NR ": " msg; bad = 1 }
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
function parse_key(s, pos,    c, seg, n, out, j) {
    n = 0; out = ""
    while (1) {
        while (substr(s, pos, 1) == " " || substr(s, pos, 1) == "\t") pos++
        c = substr(s, pos, 1)
        if (c == "\"") {
            seg = ""; pos++
            while (1) {
                c = substr(s, pos, 1)
                if (c == "") return 0
                if (c == "\\") { seg = seg substr(s, pos + 1, 1); pos += 2; continue }
                if (c == "\"") { pos++; break }
                seg = seg c; pos++
            }
        } else if (c == "\047") {
            j = index(substr(s, pos + 1), "\047")
            if (!j) return 0
            seg = substr(s, pos + 1, j - 1); pos += j + 1
        } else {
            seg = ""
            while (1) {
                c = substr(s, pos, 1)
                if (c == "" || c !~ /[A-Za-z0-9_-]/) break
                seg = seg c; pos++
            }
            if (seg == "") return 0
        }
        out = (n ? out SUBSEP : "") seg; n++
        while (substr(s, pos, 1) == " " || substr(s, pos, 1) == "\t") pos++
        if (substr(s, pos, 1) == ".") { pos++; continue }
        break
    }
    KEY = out; POS = pos; return 1
}
function prefix_of(a, b) { return a == "" || a == b || substr(b, 1, length(a) + 1) == a SUBSEP }
function show(p,    n, seg, i, out) {
    n = split(p, seg, SUBSEP); out = ""
    for (i = 1; i <= n; i++)
        out = out (i > 1 ? "." : "") (seg[i] ~ /^[A-Za-z0-9_-]+$/ ? seg[i] : "\"" seg[i] "\"")
    return out
}
# Scans a value (or the rest of one spanning lines) for brackets and strings;
# leaves DEPTH > 0 when an array/inline table continues on the next line.
function scan_value(s,    i, c, q) {
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "#") return
        if (c == "\"" || c == "\047") {
            if (substr(s, i, 3) == c c c) {
                q = index(substr(s, i + 3), c c c)
                if (!q) { MLS = c c c; return }
                i += q + 4; continue
            }
            i++
            while (i <= length(s) && substr(s, i, 1) != c) { if (c == "\"" && substr(s, i, 1) == "\\") i++; i++ }
            continue
        }
        if (c == "[" || c == "{") DEPTH++
        if (c == "]" || c == "}") DEPTH--
    }
}
function string_value(s,    c, v, i) {
    c = substr(s, 1, 1)
    if (c != "\"" && c != "\047") return "\001"
    v = ""
    for (i = 2; i <= length(s); i++) {
        if (substr(s, i, 1) == c) return v
        if (c == "\"" && substr(s, i, 1) == "\\") i++
        v = v substr(s, i, 1)
    }
    return "\001"
}
BEGIN {
    FS = "\n"
    parse_key(prefix, 1); P = KEY
    nt = split(targets, tv, " ")
    for (i = 1; i <= nt; i++) {
        split(tv[i], kv, "=")
        tname[i] = kv[1]; twant[i] = kv[2]; tpath[i] = P SUBSEP kv[1]
    }
    H = ""
}
{ sub(/\r$/, "") }   # CRLF files are valid TOML too
MLS != "" { if (index($0, MLS)) MLS = ""; next }
DEPTH > 0 { scan_value($0); next }
$0 == begin_mark {
    if (inblock || nblock) fail("a second \"" begin_mark "\" marker; fix the file by hand")
    inblock = 1; bbegin = NR; next
}
$0 == end_mark {
    if (!inblock) fail("\"" end_mark "\" without its BEGIN marker; fix the file by hand")
    inblock = 0; nblock++; bend = NR; next
}
inblock {
    if ($0 ~ /^# versions:/) { v = $0; sub(/^# versions:[ ]*/, "", v); print "versions\t" v }
    if ($0 ~ /^# flags:/) { v = $0; sub(/^# flags:[ ]*/, "", v); print "flags\t" v }
    next
}
{
    t = trim($0)
    if (t == "" || substr(t, 1, 1) == "#") next
    if (substr(t, 1, 2) == "{{") { templ = 1; next }
    if (substr(t, 1, 1) == "[") {
        arr = substr(t, 1, 2) == "[["
        if (!parse_key(t, arr ? 3 : 2)) { fail("cannot read table header " t); next }
        rest = trim(substr(t, POS))
        if (substr(rest, 1, arr ? 2 : 1) != (arr ? "]]" : "]")) { fail("cannot read table header " t); next }
        rest = trim(substr(rest, arr ? 3 : 2))
        if (rest != "" && substr(rest, 1, 1) != "#") { fail("unexpected text after table header " t); next }
        H = KEY; seen_table = 1
        if (arr) {
            for (i = 1; i <= nt; i++)
                if (prefix_of(H, tpath[i]) || prefix_of(tpath[i], H))
                    conflict[i] = "[[" show(H) "]] array of tables on line " NR
            next
        }
        if ((H in hdr) && !templ) fail("duplicate table [" show(H) "] (first on line " hdr[H] ")")
        hdr[H] = NR
        for (i = 1; i <= nt; i++) {
            if (H == tpath[i]) have[i] = NR
            else if (prefix_of(tpath[i], H)) sub_of[i] = NR
        }
        next
    }
    if (!parse_key(t, 1) || substr(t, POS, 1) != "=") { fail("cannot read line: " t); next }
    val = trim(substr(t, POS + 1))
    if (val == "") { fail("key without a value: " t); next }
    K = (H == "" ? KEY : H SUBSEP KEY)
    if (H == "" && KEY == "version" && !seen_table) print "version\t" val
    DEPTH = 0; scan_value(val)
    for (i = 1; i <= nt; i++) {
        if (H == tpath[i] && KEY == "runtime_type") rt[i] = string_value(val)
        if (prefix_of(H, tpath[i])) {
            # Tables created by dotted keys or inline values on the way to
            # our table: a [table] header for it would be invalid TOML.
            if (prefix_of(K, tpath[i]) || (prefix_of(tpath[i], K) && !prefix_of(tpath[i], H)))
                conflict[i] = "\"" show(K) "\" (line " NR ") is defined with dotted keys or an inline table"
        }
    }
}
END {
    if (inblock) fail("\"" begin_mark "\" without its END marker; fix the file by hand")
    if (MLS != "") fail("the file ends inside a multi-line string")
    if (DEPTH > 0) fail("the file ends inside an array or inline table")
    if (nblock) print "block\t" bbegin "\t" bend
    if (templ) print "template\t1"
    for (i = 1; i <= nt; i++) {
        if (i in conflict) { print "target\t" tname[i] "\tconflict\t" conflict[i]; continue }
        if (!(i in have)) { print "target\t" tname[i] "\t" ((i in sub_of) ? "subtables" : "absent"); continue }
        if ((i in rt) && rt[i] == twant[i]) { print "target\t" tname[i] "\tsame"; continue }
        got = !(i in rt) ? "unset" : rt[i] == "\001" ? "a non-string value" : "\"" rt[i] "\""
        print "target\t" tname[i] "\tconflict\t[" show(tpath[i]) "] on line " have[i] " has runtime_type " got ", not \"" twant[i] "\""
    }
}'

scan() {   # scan FILE TARGETS -> facts on stdout
    awk -v prefix="$PREFIX" -v targets="$2" -v begin_mark="$BEGIN_MARK" \
        -v end_mark="$END_MARK" "$SCAN_AWK" "$1"
}

fact() { printf '%s\n' "$FACTS" | awk -F '\t' -v k="$1" '$1 == k { sub(/^[^\t]*\t/, ""); print; exit }'; }

# ------------------------------------------------------------- the block
# render_block VERSIONS FLAGS -> the managed block on stdout.  The newest
# version backs `spin` and the vX-Y / vX aliases.
render_block() {
    printf '%s\n' "$BEGIN_MARK"
    printf '# Written by deploy/node-installer.sh: edits between the markers are lost;\n'
    printf '# remove with: node-installer.sh --uninstall\n'
    printf '# versions: %s\n' "$1"
    [ -z "$2" ] || printf '# flags: %s\n' "$2"
    case " $2 " in *" created-file "*)
        [ "$DISTRO" != k0s ] || printf 'version = %s\n' "$SCHEMA" ;;
    esac
    if [ "$SKIP_SPIN" = 0 ]; then
        printf '[%s.spin]\n  runtime_type = "io.containerd.spin.v2"\n' "$PREFIX"
    fi
    aliases=
    for v in $(printf '%s' "$1" | sort_versions | awk '{ a[NR] = $0 } END { for (i = NR; i >= 1; i--) print a[i] }'); do
        s=$(version_slug "$v")
        printf '[%s.spin-v%s]\n  runtime_type = "io.containerd.spin-v%s.v2"\n' "$PREFIX" "$s" "$s"
        major=${v%%.*}; rest=${v#*.}; minor=${rest%%.*}
        for a in "$major-$minor" "$major"; do
            case " $aliases " in *" $a "*) continue ;; esac
            aliases="$aliases $a"
            printf '[%s.spin-v%s]\n  runtime_type = "io.containerd.spin-v%s.v2"\n' "$PREFIX" "$a" "$s"
        done
    done
    printf '%s\n' "$END_MARK"
}

# Runtime names and runtime_types the block will define, for the scanner.
targets_for() {
    out="spin=io.containerd.spin.v2"
    aliases=
    for v in $(printf '%s' "$1" | sort_versions | awk '{ a[NR] = $0 } END { for (i = NR; i >= 1; i--) print a[i] }'); do
        s=$(version_slug "$v")
        out="$out spin-v$s=io.containerd.spin-v$s.v2"
        major=${v%%.*}; rest=${v#*.}; minor=${rest%%.*}
        for a in "$major-$minor" "$major"; do
            case " $aliases " in *" $a "*) continue ;; esac
            aliases="$aliases $a"
            out="$out spin-v$a=io.containerd.spin-v$s.v2"
        done
    done
    printf '%s' "$out"
}

labels_for() {   # labels_for VERSIONS -> label keys
    printf 'wasmtime-spin-enabled\n'
    for v in $(printf '%s' "$1" | sort_versions); do
        major=${v%%.*}; rest=${v#*.}; minor=${rest%%.*}
        printf 'wasmtime-spin-v%s\nwasmtime-spin-v%s-%s\nwasmtime-spin-v%s\n' \
            "$major" "$major" "$minor" "$(version_slug "$v")"
    done | awk '!seen[$0]++'
}

# ------------------------------------------------------------ validation
# Runs containerd's own parser over FILE when a containerd that knows the
# schema is available; prints its complaint and fails if it rejects it.
validator() {
    if [ -n "${CONTAINERD_BIN:-}" ]; then
        VALIDATOR=$CONTAINERD_BIN; VCHROOT=
    elif [ -z "$ROOT" ] && command -v containerd >/dev/null 2>&1; then
        VALIDATOR=containerd; VCHROOT=
    elif [ -n "$ROOT" ] && [ "$DISTRO" = containerd ] && [ -x "$ROOT/usr/bin/containerd" ] &&
         command -v chroot >/dev/null 2>&1; then
        VALIDATOR=/usr/bin/containerd; VCHROOT=$ROOT
    else
        VALIDATOR=
        say "no containerd at hand to parse the config; relying on the installer's own TOML checks"
        return 0
    fi
    vout=$(vrun --version 2>/dev/null) || {
        say "'$VALIDATOR --version' does not run; relying on the installer's own TOML checks"
        VALIDATOR=; return 0; }
    vmajor=$(printf '%s\n' "$vout" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^v?[0-9]+\.[0-9]+/) { sub(/^v/, "", $i); split($i, p, "."); print p[1]; exit } }')
    case $vmajor in ''|*[!0-9]*) VALIDATOR= ;; esac
    if [ -n "$VALIDATOR" ] && [ "$SCHEMA" = 3 ] && [ "$vmajor" -lt 2 ]; then
        say "containerd $vmajor.x cannot read a version 3 config; skipping 'config dump' validation"
        VALIDATOR=
    fi
    [ -z "$VALIDATOR" ] || say "validating with containerd $vmajor.x (config dump)"
}

vrun() {
    if [ -n "$VCHROOT" ]; then chroot "$VCHROOT" "$VALIDATOR" "$@"; else "$VALIDATOR" "$@"; fi
}

validate() {   # validate FILE WHAT [EXPECTED runtime_types...]
    f=$1; what=$2; shift 2
    [ -n "$VALIDATOR" ] || return 0
    inside=$f
    if [ -n "$VCHROOT" ]; then
        # chrooted containerd sees only the node: validate a copy in there.
        tmp_near "$CONFIG"; cp "$f" "$TMP"; inside=${TMP#"$VCHROOT"}
    fi
    if ! dump=$(vrun --config "$inside" config dump 2>&1); then
        die "containerd cannot parse the $what: $(printf '%s' "$dump" | tail -n 3)"
    fi
    for rt in "$@"; do
        # containerd 2.x prints TOML literal strings, 1.x basic strings.
        printf '%s\n' "$dump" | grep -Fq -e "runtime_type = \"$rt\"" -e "runtime_type = '$rt'" ||
            die "containerd parsed the $what but does not show runtime_type \"$rt\"; refusing"
    done
}

# ----------------------------------------------------------------- files
TMPFILES=
# shellcheck disable=SC2317  # called by the trap
cleanup() { for f in $TMPFILES; do rm -f "$f"; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM

tmp_near() {   # sets TMP to a temp name next to $1, so mv is atomic
    TMP=$1.spin-installer.$$.${#TMPFILES}
    TMPFILES="$TMPFILES $TMP"
}

new_tmp() {   # sets TMP to a fresh temp file outside the node root
    TMP=$(mktemp "${TMPDIR:-/tmp}/spin-installer.XXXXXX") || die "cannot create a temp file"
    TMPFILES="$TMPFILES $TMP"
}

file_size() { wc -c <"$1" | tr -d ' '; }

# strip_block FILE BEGIN END FLAGS OUT: FILE without lines BEGIN..END,
# dropping the newline the installer added before the block, if any.
strip_block() {
    src=$1; b=$2; e=$3; flags=$4; out=$5
    : >"$out.head"
    TMPFILES="$TMPFILES $out.head"
    [ "$b" -le 1 ] || head -n "$((b - 1))" "$src" >"$out.head"
    tail -n "+$((e + 1))" "$src" >"$out.tail"
    TMPFILES="$TMPFILES $out.tail"
    case " $flags " in
    *" added-newline "*)
        if [ ! -s "$out.tail" ] && [ -s "$out.head" ]; then
            n=$(file_size "$out.head")
            dd if="$out.head" of="$out" bs=1 count="$((n - 1))" 2>/dev/null
            return
        fi ;;
    esac
    cat "$out.head" "$out.tail" >"$out"
}

ends_without_newline() {
    [ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" != '\n' ]
}

# replace_file DEST NEWCONTENT: atomic, keeps mode and owner when DEST exists.
replace_file() {
    dest=$1; new=$2
    tmp_near "$dest"
    if [ -e "$dest" ]; then
        cp -p "$dest" "$TMP"
        cat "$new" >"$TMP"
    else
        mkdir -p "${dest%/*}"
        cp "$new" "$TMP"
        chmod 644 "$TMP"
    fi
    mv -f "$TMP" "$dest"
}

# Binaries are renamed into place, never written over: running shims keep
# their old inode (writing to it would fail with ETXTBSY anyway).
install_binary() {   # install_binary SRC DEST -> sets CHANGED when it wrote
    if [ -f "$2" ] && [ ! -L "$2" ] && cmp -s "$1" "$2"; then return 0; fi
    mkdir -p "${2%/*}"
    tmp_near "$2"
    cp "$1" "$TMP"
    chmod 755 "$TMP"
    mv -f "$TMP" "$2"
    CHANGED=1
    say "installed ${2#"$ROOT"}"
}

install_symlink() {   # install_symlink TARGET(host path) LINK
    if [ -L "$2" ] && [ "$(readlink "$2")" = "$1" ]; then return 0; fi
    mkdir -p "${2%/*}"
    rm -f "$2"
    ln -s "$1" "$2"
    CHANGED=1
    say "linked ${2#"$ROOT"} -> $1"
}

remove_path() {
    if [ -e "$1" ] || [ -L "$1" ]; then
        rm -f "$1"; CHANGED=1; say "removed ${1#"$ROOT"}"
    fi
}

binary_dir() {
    case $DISTRO in
    k3s) printf '/opt/kwasm/bin' ;;
    *) printf '/usr/local/bin' ;;
    esac
}

# The binary links only glibc; the HTTP trigger of Spin apps loads
# libmicrohttpd.so.12 when it starts serving.  Warn, do not refuse: plain
# WASI and Linux containers work without it.
has_http_library() {
    for d in /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu \
             /lib/aarch64-linux-gnu /usr/lib64 /lib64 /usr/lib /lib /usr/local/lib; do
        for f in "$ROOT$d"/libmicrohttpd.so.12*; do
            [ -e "$f" ] && return 0
        done
    done
    return 1
}

place_binary() {   # place_binary SRC NAME
    dir=$(binary_dir)
    install_binary "$1" "$ROOT$dir/$2"
    [ "$dir" = /usr/local/bin ] || install_symlink "$dir/$2" "$ROOT/usr/local/bin/$2"
}

unplace_binary() {   # unplace_binary NAME
    dir=$(binary_dir)
    remove_path "$ROOT$dir/$1"
    if [ "$dir" != /usr/local/bin ] && [ -L "$ROOT/usr/local/bin/$1" ] &&
       [ "$(readlink "$ROOT/usr/local/bin/$1")" = "$dir/$1" ]; then
        remove_path "$ROOT/usr/local/bin/$1"
    fi
}

# ------------------------------------------------------- restart, labels
restart_containerd() {
    case $DISTRO in
    containerd)
        if [ -d "$ROOT/run/systemd/system" ]; then
            host_run systemctl restart containerd
        elif [ -x "$ROOT/etc/init.d/containerd" ]; then
            host_run /etc/init.d/containerd restart
        else
            fail_late "config written, but I do not know how to restart containerd here; restart it yourself"
        fi ;;
    k3s) restart_unit k3s k3s-agent ;;
    rke2) restart_unit rke2-server rke2-agent ;;
    k0s) restart_unit k0scontroller k0sworker ;;
    microk8s) host_run systemctl restart snap.microk8s.daemon-containerd ;;
    esac
}

restart_unit() {   # the first active unit of the list, else the last one
    for u in "$@"; do
        if host_run systemctl is-active --quiet "$u"; then
            say "restarting $u"
            host_run systemctl restart "$u"
            return
        fi
    done
    for last in "$@"; do :; done
    say "restarting $last"
    host_run systemctl restart "$last"
}

node_name() {
    if [ -n "${NODE_NAME:-}" ]; then printf '%s' "$NODE_NAME"
    elif [ -s "$ROOT/etc/hostname" ]; then head -n 1 "$ROOT/etc/hostname" | tr -d ' \t\r'
    else hostname
    fi
}

label_node() {   # label_node add|remove LABELS...
    how=$1; shift
    [ $# -gt 0 ] || return 0
    node=$(node_name)
    args=
    for l in "$@"; do
        if [ "$how" = add ]; then args="$args $l=true"; else args="$args $l-"; fi
    done
    kubectl=${KUBECTL:-kubectl}
    # shellcheck disable=SC2086  # KUBECTL may be a command with arguments
    if ! command -v ${kubectl%% *} >/dev/null 2>&1; then
        say "warning: no kubectl; label the node yourself: kubectl label node $node --overwrite$args"
        return 0
    fi
    # shellcheck disable=SC2086
    if $kubectl label node "$node" --overwrite $args >&2; then
        say "labelled node $node:$args"
    else
        say "warning: labelling failed; run: kubectl label node $node --overwrite$args"
    fi
}

# ------------------------------------------------------------------ main
detect_layout

# Schema: containerd 2.x configs say version = 3; 1.x use 2, or 1/none.
if [ -f "$SCHEMA_FROM" ]; then SCHEMA=$(toml_version_of "$SCHEMA_FROM"); else SCHEMA=; fi
if [ -z "$SCHEMA" ] && [ -n "$SCHEMA_FALLBACK" ]; then SCHEMA=$(toml_version_of "$SCHEMA_FALLBACK"); fi
if [ "$DISTRO" = k0s ] && [ -z "$SCHEMA" ]; then SCHEMA=2; fi
case ${SCHEMA:-1} in
3) PREFIX='plugins."io.containerd.cri.v1.runtime".containerd.runtimes' ;;
2) PREFIX='plugins."io.containerd.grpc.v1.cri".containerd.runtimes' ;;
1) PREFIX='plugins.cri.containerd.runtimes'; SCHEMA=1 ;;
*) die "${SCHEMA_FROM#"$ROOT"}: unsupported config version '$SCHEMA' (expected 1, 2 or 3)" ;;
esac
say "layout: $DISTRO, config ${CONFIG#"$ROOT"}, schema version $SCHEMA"

# What is there now.  WORK is the file we scan: the config itself, or the
# file it will be created from.
CREATED=0
if [ -f "$CONFIG" ]; then
    WORK=$CONFIG
elif [ "$MODE" != install ]; then
    say "${CONFIG#"$ROOT"} does not exist; nothing registered"
    WORK=
elif [ "$SOURCE" = - ]; then
    WORK=/dev/null; CREATED=1
else
    WORK=$SOURCE; CREATED=1
fi

OLD_VERSIONS=
OLD_FLAGS=
BLOCK=
if [ -n "$WORK" ]; then
    FACTS=$(scan "$WORK" "")
    if errs=$(printf '%s\n' "$FACTS" | grep '^error'); then
        die "cannot safely edit ${WORK#"$ROOT"}:
$(printf '%s\n' "$errs" | cut -f 2-)"
    fi
    OLD_VERSIONS=$(fact versions)
    OLD_FLAGS=$(fact flags)
    BLOCK=$(fact block)
    if [ "$CREATED" = 1 ] && [ -n "$BLOCK" ]; then
        die "${WORK#"$ROOT"} already holds a managed block but ${CONFIG#"$ROOT"} is missing; fix by hand"
    fi
fi

# The versions the block should hold afterwards.
case $MODE in
install)
    [ -n "${SHIM_BINARY:-}" ] || die "SHIM_BINARY is not set (the containerd-shim-spin-v2 binary to install)"
    { [ -f "$SHIM_BINARY" ] && [ -x "$SHIM_BINARY" ]; } || die "SHIM_BINARY '$SHIM_BINARY' is not an executable file"
    if [ -z "${SHIM_VERSION:-}" ]; then
        vtext=$("$SHIM_BINARY" -v 2>&1) || die "'$SHIM_BINARY -v' failed: $vtext"
        SHIM_VERSION=$(printf '%s\n' "$vtext" | sed -n 's/^[[:space:]]*Version:[[:space:]]*v\{0,1\}//p' | head -n 1 | tr -d ' \r')
        [ -n "$SHIM_VERSION" ] || die "'$SHIM_BINARY -v' printed no 'Version:' line; set SHIM_VERSION"
    fi
    SHIM_VERSION=${SHIM_VERSION#v}
    check_version "$SHIM_VERSION"
    NEW_VERSIONS=$(printf '%s %s' "$OLD_VERSIONS" "$SHIM_VERSION" | sort_versions | tr '\n' ' ' | sed 's/ $//')
    ;;
remove)
    REMOVE_VERSION=${REMOVE_VERSION#v}
    check_version "$REMOVE_VERSION"
    case " $OLD_VERSIONS " in
    *" $REMOVE_VERSION "*) ;;
    *) die "version $REMOVE_VERSION is not installed (installed: ${OLD_VERSIONS:-none})" ;;
    esac
    NEW_VERSIONS=$(printf '%s' "$OLD_VERSIONS" | tr ' ' '\n' | grep -vxF "$REMOVE_VERSION" | tr '\n' ' ' | sed 's/ $//')
    ;;
uninstall) NEW_VERSIONS= ;;
esac
NEWEST=$(printf '%s' "$NEW_VERSIONS" | sort_versions | tail -n 1)
OLD_NEWEST=$(printf '%s' "$OLD_VERSIONS" | sort_versions | tail -n 1)

# Is `spin` already someone else's (same definition) or k3s/RKE2's own?
SKIP_SPIN=0
if [ -n "$NEW_VERSIONS" ]; then
    FACTS=$(scan "$WORK" "$(targets_for "$NEW_VERSIONS")")
    if [ "$(fact template)" = 1 ]; then
        # A base-template file: k3s/RKE2 add `spin` themselves once the
        # binary is in PATH; defining it again would duplicate the table.
        case $DISTRO in k3s|rke2) SKIP_SPIN=1 ;; esac
    fi
    conflicts=$(printf '%s\n' "$FACTS" | awk -F '\t' '$1 == "target" && $3 == "conflict" { print "  runtime " $2 ": " $4 }')
    [ -z "$conflicts" ] || die "${WORK#"$ROOT"} already defines runtimes differently:
$conflicts
  Remove or rename them (or run --uninstall for an old installer's entries) and run again."
    samevers=$(printf '%s\n' "$FACTS" | awk -F '\t' '$1 == "target" && $3 == "same" && $2 != "spin" { print $2 }')
    [ -z "$samevers" ] || die "${WORK#"$ROOT"} defines $(printf '%s' "$samevers" | tr '\n' ' ')outside the managed block; remove them and run again"
    if printf '%s\n' "$FACTS" | grep -q "^target	spin	same"; then
        say "runtime 'spin' is already defined identically outside the managed block; leaving it"
        SKIP_SPIN=1
    fi
fi

# Build the new config.
new_tmp; NEW=$TMP
FLAGS=$OLD_FLAGS
if [ -n "$WORK" ] && [ -n "$BLOCK" ]; then
    b=${BLOCK%%	*}; e=${BLOCK##*	}
    if [ -n "$NEW_VERSIONS" ]; then
        # In place, so anything the operator put after the block stays there.
        { [ "$b" -le 1 ] || head -n "$((b - 1))" "$WORK"
          render_block "$NEW_VERSIONS" "$FLAGS"
          tail -n "+$((e + 1))" "$WORK"; } >"$NEW"
    else
        strip_block "$WORK" "$b" "$e" "$FLAGS" "$NEW"
    fi
elif [ -n "$NEW_VERSIONS" ]; then
    FLAGS=
    [ "$CREATED" = 0 ] || FLAGS=created-file
    if ends_without_newline "$WORK"; then FLAGS=${FLAGS:+$FLAGS }added-newline; fi
    { cat "$WORK"
      case " $FLAGS " in *" added-newline "*) printf '\n' ;; esac
      render_block "$NEW_VERSIONS" "$FLAGS"; } >"$NEW"
else
    : >"$NEW"
fi

CONFIG_ACTION=none
if [ -z "$WORK" ]; then
    CONFIG_ACTION=none
elif [ -z "$NEW_VERSIONS" ] && [ -n "$BLOCK" ]; then
    case " $OLD_FLAGS " in
    *" created-file "*) CONFIG_ACTION='delete' ;;
    *) CONFIG_ACTION='write' ;;
    esac
elif [ -n "$NEW_VERSIONS" ] && { [ "$CREATED" = 1 ] || ! cmp -s "$NEW" "$CONFIG"; }; then
    CONFIG_ACTION='write'
fi

# Validate before writing anything.
if [ "$CONFIG_ACTION" = write ] && [ "$(fact template)" != 1 ]; then
    validator
    if [ -n "$VALIDATOR" ]; then
        if [ -s "$WORK" ]; then validate "$WORK" "current config ${WORK#"$ROOT"}"; fi
        expect=
        if [ -n "$NEW_VERSIONS" ]; then
            expect="io.containerd.spin.v2"
            for v in $NEW_VERSIONS; do expect="$expect io.containerd.spin-v$(version_slug "$v").v2"; done
        fi
        # shellcheck disable=SC2086
        validate "$NEW" "new config" $expect
    fi
fi

# Fail now rather than half-way: every directory we write to must be
# writable (the nearest existing ancestor, for ones we would create).
for d in "${CONFIG%/*}" "$ROOT$(binary_dir)" "$ROOT/usr/local/bin"; do
    while [ ! -d "$d" ] && [ "${d%/*}" != "$d" ]; do d=${d%/*}; done
    [ -w "${d:-/}" ] || die "cannot write to ${d:-/} (run as root, or mount the node root read-write)"
done

# ---- from here on we change the node
CHANGED=0          # any file
CONFIG_CHANGED=0   # the containerd config: only this needs a restart
if [ "$MODE" = install ]; then
    place_binary "$SHIM_BINARY" "containerd-shim-spin-v$(version_slug "$SHIM_VERSION")-v2"
    if [ "$SHIM_VERSION" = "$NEWEST" ]; then
        place_binary "$SHIM_BINARY" "$SHIM_NAME"
    fi
fi
if [ "$MODE" = install ] && ! has_http_library; then
    say "warning: no libmicrohttpd.so.12 on this node: Spin apps (HTTP trigger) fail to start until it is installed (Debian/Ubuntu: apt-get install libmicrohttpd12); WASI and Linux containers need only glibc"
fi
if [ "$MODE" != install ]; then
    for v in $OLD_VERSIONS; do
        case " $NEW_VERSIONS " in *" $v "*) continue ;; esac
        unplace_binary "containerd-shim-spin-v$(version_slug "$v")-v2"
    done
    if [ -z "$NEW_VERSIONS" ]; then
        [ -z "$OLD_VERSIONS" ] || unplace_binary "$SHIM_NAME"
    elif [ "$NEWEST" != "$OLD_NEWEST" ]; then
        # The default binary follows the newest version still installed.
        dir=$(binary_dir)
        place_binary "$ROOT$dir/containerd-shim-spin-v$(version_slug "$NEWEST")-v2" "$SHIM_NAME"
    fi
fi

case $CONFIG_ACTION in
write)
    replace_file "$CONFIG" "$NEW"; CHANGED=1; CONFIG_CHANGED=1
    say "updated ${CONFIG#"$ROOT"} (runtimes for: ${NEW_VERSIONS:-none})" ;;
delete)
    rm -f "$CONFIG"; CHANGED=1; CONFIG_CHANGED=1
    say "removed ${CONFIG#"$ROOT"} (the installer had created it)" ;;
esac

if [ "$MODE" = uninstall ] && [ -n "$WORK" ] && [ -f "$CONFIG" ]; then
    left=$(scan "$CONFIG" "$(targets_for "${OLD_VERSIONS:-0.0.0}")" | awk -F '\t' '$1 == "target" && $3 != "absent" { print $2 }')
    [ -z "$left" ] || say "warning: ${CONFIG#"$ROOT"} still mentions runtime(s) $(printf '%s' "$left" | tr '\n' ' ')outside the managed block (e.g. your options tables); remove them by hand"
fi

if [ "$CHANGED" = 0 ]; then
    say "nothing to change"
fi

if [ "$CHANGED" = 1 ] && [ "$CONFIG_CHANGED" = 0 ]; then
    # containerd execs the shim binary per container: no restart needed.
    say "only binaries changed; new containers use them without a containerd restart"
fi

if [ "${NO_RESTART:-0}" = 1 ]; then
    [ "$CONFIG_CHANGED" = 0 ] || say "NO_RESTART=1: restart containerd yourself to load the change"
    exit 0
fi

# A failed restart must not be forgotten: the next run (a retried init
# container) sees an unchanged config, so a marker in the node's /run - gone
# after a reboot, which restarts containerd anyway - asks for it again.
PENDING=$ROOT/run/containerd-shim-spin-installer.restart-pending
if [ "$CONFIG_CHANGED" = 1 ] || [ -e "$PENDING" ]; then
    { mkdir -p "$ROOT/run" && : >"$PENDING"; } 2>/dev/null || say "warning: cannot write $PENDING"
    [ "$CONFIG_CHANGED" = 1 ] || say "retrying the containerd restart a previous run could not do"
    restart_containerd || fail_late "restarting containerd failed; the files are updated; run again or restart it by hand"
    rm -f "$PENDING"
fi

# Labels: add the current set, drop those of removed versions.
gone=
if [ "$MODE" != install ]; then
    now=$(labels_for "$NEW_VERSIONS")
    [ -n "$NEW_VERSIONS" ] || now=
    for l in $(labels_for "$OLD_VERSIONS"); do
        printf '%s\n' "$now" | grep -qxF "$l" || gone="$gone $l"
    done
fi
# shellcheck disable=SC2046
[ -z "$NEW_VERSIONS" ] || label_node add $(labels_for "$NEW_VERSIONS")
# shellcheck disable=SC2086
[ -z "$gone" ] || label_node remove $gone
exit 0
