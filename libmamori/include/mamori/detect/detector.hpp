#pragma once
// The detect stage: a detector sees every batch of normalized events in event-time order (as
// far as the input gives it) and emits findings. Sigma rules, correlation rules and the
// behavioural analytics are all detectors, run in one pass by the hunt pipeline and the
// server. A detector with windows or baselines flushes what is pending at end of input.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mamori/detect/finding.hpp"
#include "mamori/event/event.hpp"

namespace mamori {

class detector {
 public:
  virtual ~detector() = default;
  virtual std::string_view name() const = 0;
  virtual void observe(const event_batch& batch, finding_sink& out) = 0;
  // End of input (or of a server flush interval): emit what windows still hold.
  virtual void finish(finding_sink& out) { (void)out; }
};

// Adapts a list of detectors to an event_sink so they can sit behind any decoder.
class detector_chain final : public event_sink {
 public:
  explicit detector_chain(finding_sink& out) : out_(out) {}
  void add(std::unique_ptr<detector> d) { detectors_.push_back(std::move(d)); }
  void consume(const event_batch& batch) override {
    for (auto& d : detectors_) d->observe(batch, out_);
  }
  void finish() {
    for (auto& d : detectors_) d->finish(out_);
  }
  const std::vector<std::unique_ptr<detector>>& detectors() const { return detectors_; }

 private:
  finding_sink& out_;
  std::vector<std::unique_ptr<detector>> detectors_;
};

}  // namespace mamori
