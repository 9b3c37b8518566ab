#pragma once
// Directory tailing (docs/server.md, "Tailing files"): every interval, each configured file
// or directory is listed; files are followed by (device, inode), so a rotated file (renamed)
// keeps its offset and a new file under the old name starts at 0, and a truncated file
// (copytruncate) restarts at 0. Only complete lines are read. Each read is one WAL entry
// whose origin records "tail:DEV:INODE:END", and the offset is saved after the append, so a
// crash between the two is repaired from the log on restart: nothing is read twice.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mamori/server/config.hpp"
#include "mamori/server/pipeline.hpp"
#include "mamori/server/state.hpp"

namespace mamori::server {

class tailer {
 public:
  tailer(std::vector<tail_input> inputs, double interval_s, pipeline& pipe,
         std::unique_ptr<state_db> state);
  ~tailer();

  // Loads saved offsets; call before the pipeline replays (observe() sees the replay).
  result<void> load();
  // A replayed WAL entry: its tail origin moves the offset forward.
  void observe(const store::wal_entry& e);
  void start();
  void stop();
  // One scan of every input (tests call this directly); returns bytes read.
  std::uint64_t poll();

  struct file_key {
    std::uint64_t dev = 0, ino = 0;
    auto operator<=>(const file_key&) const = default;
  };

 private:
  void save(const file_key& k, std::uint64_t offset);

  std::vector<tail_input> inputs_;
  double interval_s_;
  pipeline& pipe_;
  std::unique_ptr<state_db> state_;
  std::mutex mutex_;
  std::map<file_key, std::uint64_t> offsets_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace mamori::server
