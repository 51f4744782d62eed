// The web app's /metrics: Prometheus' text exposition format (version 0.0.4). MetricsText
// writes it; LakeMetrics gathers the lake's numbers by asking each component that keeps
// records in the catalog file for its totals (the catalog, the ingest, the transform, the
// workflow history), never by reading their tables here.
//
// Thread safety: a MetricsText is used by one thread; LakeMetrics reads through the
// catalog it is given (one per request).
#pragma once

#include <map>
#include <string>

#include "catalog/catalog.h"

namespace shoplake::server {

//! Prometheus exposition: one metric family at a time, HELP and TYPE before its samples.
class MetricsText {
 public:
  //! Starts the family `name` of `type` ("counter", "gauge") described by `help`.
  void Family(const std::string& name, const std::string& type, const std::string& help);
  //! One sample of the current family; label values are escaped as the format requires.
  void Sample(const std::string& name, const std::map<std::string, std::string>& labels,
              double value);
  //! A family with one sample per entry of `values`, labelled `label` = the entry's key.
  void Family(const std::string& name, const std::string& type, const std::string& help,
              const std::string& label, const std::map<std::string, double>& values);
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

//! Writes the lake's metrics to `out`: the catalog's tables, snapshots and views; rows,
//! runs and time of the transform; bytes, objects and time of the ingest; workflow
//! executions by status and time in each top-level state. A family whose stage never ran
//! has no samples.
void LakeMetrics(catalog::Catalog& catalog, MetricsText& out);

}  // namespace shoplake::server
