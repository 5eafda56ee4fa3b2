# t/prom-check.awk — a strict reader of the Prometheus text format 0.0.4
# for the tests: every line is a HELP, a TYPE or a sample; a family's TYPE
# comes before its samples and only once; names and labels are well formed;
# values are numbers; histogram buckets never decrease and the +Inf bucket
# equals _count. Prints the first problem and exits 1, or prints the number
# of samples and exits 0.
function fail(msg) { printf "line %d: %s: %s\n", NR, msg, $0; bad = 1; exit 1 }
BEGIN { samples = 0 }
/^# HELP / {
	if ($3 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/) fail("bad HELP name")
	next
}
/^# TYPE / {
	if ($3 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/) fail("bad TYPE name")
	if ($4 !~ /^(counter|gauge|histogram|summary|untyped)$/) fail("bad type")
	if ($3 in type) fail("second TYPE")
	type[$3] = $4
	next
}
/^#/ { next }
/^$/ { fail("empty line") }
{
	if ($0 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*\})? (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|\+Inf|-Inf|NaN)$/)
		fail("malformed sample")
	name = $0; sub(/[{ ].*/, "", name)
	family = name; sub(/_(bucket|sum|count)$/, "", family)
	if (!(name in type) && !(family in type)) fail("sample before its TYPE")
	if (name ~ /_bucket$/ && type[family] == "histogram") {
		series = $0; sub(/,?le="[^"]*"/, "", series); sub(/ [^ ]*$/, "", series)
		value = $NF + 0
		if ((series in last) && value < last[series]) fail("bucket decreases")
		last[series] = value
		if ($0 ~ /le="\+Inf"/) inf[series] = value
	}
	if (name ~ /_count$/ && type[family] == "histogram") {
		series = $0; sub(/_count/, "_bucket", series); sub(/ [^ ]*$/, "", series)
		if (!(series in inf) || inf[series] != $NF + 0) fail("_count is not the +Inf bucket")
	}
	samples++
}
END { if (!bad) print samples }
