# Sourced by scripts/bench (its world, binary, `run` and results): samforge on real trees.
#
# - a base made of this machine's directories ($TREE_DIRS, one layer each: scripts/bench-tree-layout);
# - COPY --from of /usr/share (append --copy-from to an oci: layout) against GNU tar doing the
#   same work: every layer extracted (tar -x), then tar c | gzip -6 of the copied tree;
# - the whole tree copied: peak RSS, and per 10k entries;
# - a build whose plugin image's scripts hold $PLUGIN_ENTRIES files (scripts/synthetic-tree-layout.py);
# - inspect --files all and diff --files of the tree against gzip -dc | tar -t;
# - a new layer from a 200 MB binary (this machine's shared libraries): gzip against gzip -6,
#   zstd against zstd -T0 (level 3 both);
# - token requests in one copy of the 16-blob bench image to the token registry.

# The process's own footprint (runtime, libraries), what per-entry figures are counted above.
run samforge-version "$SAMFORGE" version
TREE_LAYOUT="$work/tree"
read -r TREE_ENTRIES TREE_BYTES < <(scripts/bench-tree-layout "$TREE_LAYOUT" $TREE_DIRS)
TREE="oci:$TREE_LAYOUT:base"
SHARE_ENTRIES=$(find /usr/share -xdev | wc -l)
echo "bench: real tree: $TREE_ENTRIES entries, $((TREE_BYTES >> 20)) MB, from $TREE_DIRS" >&2

# COPY --from of /usr/share, and the same with GNU tar: extract every layer, tar c | gzip -6.
run tree-copy-share "$SAMFORGE" append --quiet --copy-from "$TREE:/usr/share:/opt/share" --cache-dir "$work/cache-tree" \
    scratch "oci:$work/out-share:share"
manifest=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['manifests'][0]['digest'][7:])" "$TREE_LAYOUT/index.json")
layers=$(python3 -c "import json,sys; [print(l['digest'][7:]) for l in json.load(open(sys.argv[1]))['layers']]" "$TREE_LAYOUT/blobs/sha256/$manifest")
{
    echo 'set -e'
    echo "rm -rf '$work/root'; mkdir '$work/root'"
    for layer in $layers; do echo "gzip -dc '$TREE_LAYOUT/blobs/sha256/$layer' | tar -x -C '$work/root'"; done
    echo "tar -C '$work/root' --transform 's,^usr/share,opt/share,' -c usr/share | gzip -6 > '$work/gnu-share.tar.gz'"
} >"$work/gnu-copy.sh"
run gnu-tar-gzip-share bash "$work/gnu-copy.sh"
rm -rf "$work/root"

# The whole tree, and memory per entry.
run tree-copy-all "$SAMFORGE" append --quiet --copy-from "$TREE:/usr:/usr" --cache-dir "$work/cache-tree" scratch "oci:$work/out-all:all"

# A plugin whose scripts hold PLUGIN_ENTRIES files, built on the bench base (SBOM and provenance on).
python3 scripts/synthetic-tree-layout.py "$work/plugin-big" "$PLUGIN_ENTRIES" --plugin
run plugin-build "$SAMFORGE" build --quiet --sam-base-image "$SRC" --plugin-image "oci:$work/plugin-big:img" --version 1.0.0 \
    --no-go-template --no-docker-cli --target-repo "oci:$work/out-plugin" --cache-dir "$work/cache-plugin"

# Listing and diffing the tree, and GNU tar listing it.
run tree-inspect-files "$SAMFORGE" inspect --files all "$TREE"
run tree-diff-files "$SAMFORGE" diff --files "$TREE" "oci:$work/out-all:all"
{ echo 'set -e'; for layer in $layers; do echo "gzip -dc '$TREE_LAYOUT/blobs/sha256/$layer' | tar -t"; done; } >"$work/gnu-list.sh"
run gnu-tar-list bash "$work/gnu-list.sh"

# A new layer from a 200 MB binary, gzip and zstd, and the tools on the same bytes.
find /usr/lib/x86_64-linux-gnu /usr/lib/jvm /usr/bin -type f -size +1M 2>/dev/null | sort | xargs cat 2>/dev/null | head -c 200M >"$work/binary" || true
run gzip-6 bash -c "gzip -6 -c '$work/binary' >/dev/null"
run layer-gzip "$SAMFORGE" append --quiet --no-attestations --file "$work/binary:/usr/local/bin/tool" --cache-dir "$work/cache-bin" \
    scratch "oci:$work/out-gzip:gzip"
run zstd-T0 bash -c "zstd -q -3 -T0 -c '$work/binary' >/dev/null"
run layer-zstd "$SAMFORGE" append --quiet --no-attestations --compression zstd --file "$work/binary:/usr/local/bin/tool" \
    --cache-dir "$work/cache-bin" scratch "oci:$work/out-zstd:zstd"
largest_blob() { find "$1/blobs/sha256" -type f -printf '%s\n' | sort -n | tail -n 1; }  # the layout's layer
GZIP_LAYER_MB=$(( $(largest_blob "$work/out-gzip") >> 20 ))
ZSTD_LAYER_MB=$(( $(largest_blob "$work/out-zstd") >> 20 ))

# Token requests in one copy of the 16-blob bench image to the token registry.
curl -fsS -X POST "$SAMFORGE_TEST_TOKEN_ISSUER/stats/reset" >/dev/null
DOCKER_USERNAME="$SAMFORGE_TEST_TOKEN_USER" DOCKER_PASSWORD="$SAMFORGE_TEST_TOKEN_PASSWORD" \
    run token-copy "$SAMFORGE" copy --quiet "$SRC" "$SAMFORGE_TEST_TOKEN/bench/tokens:1"
TOKEN_REQUESTS=$(curl -fsS "$SAMFORGE_TEST_TOKEN_ISSUER/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token_requests"])')

trees_report() {
    # MB per 10k entries above the process's own footprint (`samforge version`).
    per10k() { echo "scale=1; (${RSS_OF[$1]} - ${RSS_OF[samforge-version]}) * 10000 / $2" | bc; }
    echo
    echo "== real trees ($TREE_ENTRIES entries, $((TREE_BYTES >> 20)) MB uncompressed; /usr/share: $SHARE_ENTRIES entries) =="
    echo "copy-from /usr/share:   samforge / GNU tar -x + tar c | gzip -6 = $(ratio tree-copy-share gnu-tar-gzip-share)  (${SECONDS_OF[tree-copy-share]} s, ${RSS_OF[tree-copy-share]} MB peak; GNU ${SECONDS_OF[gnu-tar-gzip-share]} s)"
    echo "copy-from the whole tree: ${SECONDS_OF[tree-copy-all]} s, ${RSS_OF[tree-copy-all]} MB peak: $(per10k tree-copy-all "$TREE_ENTRIES") MB per 10k entries above samforge's own ${RSS_OF[samforge-version]} MB"
    echo "build, plugin scripts of $PLUGIN_ENTRIES files: ${SECONDS_OF[plugin-build]} s, ${RSS_OF[plugin-build]} MB peak: $(per10k plugin-build "$PLUGIN_ENTRIES") MB per 10k entries"
    echo "inspect --files all:    samforge / gzip -dc | tar -t = $(ratio tree-inspect-files gnu-tar-list)  (${SECONDS_OF[tree-inspect-files]} s, ${RSS_OF[tree-inspect-files]} MB peak)"
    echo "diff --files:           ${SECONDS_OF[tree-diff-files]} s, ${RSS_OF[tree-diff-files]} MB peak"
    echo "200 MB binary, gzip:    samforge / gzip -6      = $(ratio layer-gzip gzip-6)  (${SECONDS_OF[layer-gzip]} s, $GZIP_LAYER_MB MB)"
    echo "200 MB binary, zstd:    samforge / zstd -3 -T0  = $(ratio layer-zstd zstd-T0)  (${SECONDS_OF[layer-zstd]} s, $ZSTD_LAYER_MB MB); zstd / gzip layer = $(ratio layer-zstd layer-gzip)"
    echo "token requests in one copy of the 16-blob image: $TOKEN_REQUESTS"
}
