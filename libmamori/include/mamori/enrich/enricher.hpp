#pragma once
// The enrich stage: adds context to decoded events in place (geo location, ASN and
// anonymizer flags, parsed user agent, directory attributes, app catalog) before detectors
// see them. Enrichers run on each batch as the decoder hands it over, so detectors and
// writers only ever see enriched events.

#include <string_view>

#include "mamori/event/event.hpp"

namespace mamori {

class enricher {
 public:
  virtual ~enricher() = default;
  virtual std::string_view name() const = 0;
  // Adds normalized attributes to events; strings go into the batch arena (batch.store()).
  virtual void enrich(event_batch& batch) = 0;
};

}  // namespace mamori
