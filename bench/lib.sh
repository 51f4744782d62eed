# Shared by the whole-command benchmarks (bench/*/run.sh); source it after setting $work.

# measure VAR CMD...: runs CMD under /usr/bin/time and sets VAR_seconds (wall) and
# VAR_rss_mib (peak resident memory); CMD's stdout is left in $work/out. Stops the
# benchmark, showing CMD's stderr, when CMD fails.
measure() {
  local var=$1 s kb; shift
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$work/out" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  read -r s kb <"$work/time"
  printf -v "${var}_seconds" '%s' "$s"
  printf -v "${var}_rss_mib" '%s' "$((kb / 1024))"
}

# enter_bench_project: makes $work/project a project with the pipeline's mappings, the demo's
# sales model (so the shipped views), a local exports folder as source "shop" and its orders
# and products datasets, and cd's into it. Needs $root (the checkout) and $work.
enter_bench_project() {
  mkdir -p "$work/project"
  cp -r "$root/pipeline" "$work/project/"
  cat >"$work/project/shoplake.yaml" <<'YAML'
name: bench
lake: lake
sources:
  shop: {uri: exports}
datasets:
  orders: {source: shop, pattern: "orders/*.csv"}
  products: {source: shop, pattern: "products/*.csv"}
YAML
  # The demo's sales model, over the mappings' database (shop), for the shipped views.
  sed -n '/^sales:/,/^[^ #]/p' "$root/shoplake.yaml" | sed '1!{/^[^ #]/d}' |
    sed 's/^  table: order_lines$/  table: shop.order_lines/' >>"$work/project/shoplake.yaml"
  cd "$work/project"
}
