// SumTransformRuns: the transform_runs records summed for /metrics, read only.
// TODO(records): move beside the other transform_runs reads and writes when they leave
// transform.cpp for transform/records.cpp (issue 16).
#include "transform/transform.h"

namespace shoplake::transform {

TransformRunTotals SumTransformRuns(SqliteDatabase& db) {
  TransformRunTotals totals;
  if (!db.HasTable("transform_runs")) return totals;
  auto datasets = db.Prepare(
      "SELECT dataset, sum(rows_written), sum(rows_rejected),"
      " sum((julianday(finished_at) - julianday(started_at)) * 86400)"
      " FROM transform_runs GROUP BY 1");
  while (datasets.Step()) {
    const std::string dataset = datasets.Text(0);
    totals.rows_written[dataset] = datasets.Double(1);
    totals.rows_rejected[dataset] = datasets.Double(2);
    totals.seconds[dataset] = datasets.Double(3);
  }
  auto statuses = db.Prepare("SELECT status, count(*) FROM transform_runs GROUP BY 1");
  while (statuses.Step()) totals.runs[statuses.Text(0)] = statuses.Double(1);
  return totals;
}

}  // namespace shoplake::transform
