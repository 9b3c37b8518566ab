#pragma once
// Signals the server publishes for the access decision point (issue 7): device isolation and
// session revocation (case response actions), and user/device risk raised by findings.
// The server is the producer; consumers subscribe a signal_listener (the authz signal store
// in-process), or poll GET /api/v1/signals?since=VERSION from another process (docs/actions.md).
//
// Every signal carries a version (monotonic per server data directory) so a consumer that
// restarts can ask for what it missed. The server persists signals in its store and replays
// the current state to a listener that subscribes after start (signal_bus::subscribe).
//
// Times are UTC seconds: decisions compare them with token issue times (`iat`).

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace mamori::respond {

enum class signal_kind : std::uint8_t {
  device_isolation,    // subject = device id or hostname; active = isolated (false = released)
  session_revocation,  // subject = user name; sessions issued at or before `before` revoked
  user_risk,           // subject = user name; `score` added (decay is the consumer's policy)
  device_risk,         // subject = device id or hostname; `score` added
};

std::string_view signal_kind_name(signal_kind k);

struct signal {
  std::uint64_t version = 0;  // assigned by the bus on publish; 0 before
  signal_kind kind = signal_kind::user_risk;
  std::string subject;
  bool active = true;         // device_isolation: isolated (true) or released (false)
  std::int64_t before = 0;    // session_revocation: UTC seconds
  double score = 0;           // user_risk / device_risk: points to add (0..100 scale)
  std::int64_t at = 0;        // UTC seconds when the signal was raised
  std::string reason;         // human-readable, e.g. "case 12: confirmed password spray"
  std::string origin;         // "case:12", "finding:<uid>", "api"
};

// Risk points a finding of this Sigma level adds to its user and device (docs/actions.md):
// informational 0, low 5, medium 15, high 40, critical 70.
double risk_points_for_level(std::string_view level);

class signal_listener {
 public:
  virtual ~signal_listener() = default;
  // Called on the publishing thread; must not block for long (copy and return).
  virtual void on_signal(const signal& s) = 0;
};

// Fan-out of signals to listeners, with the published history kept for replay (bounded by
// the persisted store, not memory: the server hands `replay` what it loaded at start).
class signal_bus {
 public:
  // Listeners registered here receive every later signal; `replay` delivers earlier ones.
  void subscribe(signal_listener* l);
  void unsubscribe(signal_listener* l);
  // Assigns the next version and delivers the signal; returns the version.
  std::uint64_t publish(signal s);
  // Continues numbering after signals loaded from the store.
  void set_version(std::uint64_t v);
  std::uint64_t version() const;

 private:
  mutable std::mutex mutex_;
  std::vector<signal_listener*> listeners_;
  std::uint64_t version_ = 0;
};

// Renders a signal as one JSON object (the /api/v1/signals item format).
std::string signal_to_json(const signal& s);

}  // namespace mamori::respond
