# Shared by the bench scripts: medians, wrk's latencies in milliseconds, and a wrk script that
# asks for a list of paths in turn.

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; print v}'; }

# round_robin FILE PATH… writes a wrk script to FILE that requests the paths one after another.
round_robin() {
  local file=$1; shift
  { echo "local paths = {"; printf '  "%s",\n' "$@"; echo "}"
    echo 'local i = 0'
    echo 'request = function()'
    echo '  i = i + 1'
    echo '  return wrk.format("GET", paths[(i % #paths) + 1])'
    echo 'end'; } >"$file"
}

# port_free PORT: stops the run when something already answers on PORT (a node left running
# would take the load while this run's node fails to bind, and the figures would be its).
port_free() {
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/"; then
    echo "$(basename "$0"): something already answers on port $1; stop it or set PORT" >&2
    exit 1
  fi
}
