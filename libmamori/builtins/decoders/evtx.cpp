// Windows XML Event Log (.evtx): mamori's own reader (libmamori/src/decode/evtx/), streamed chunk
// by chunk. Each record is flattened into the raw field names Sigma rules use (System fields
// EventID, Channel, Computer, Provider_Name, ...; EventData <Data Name="X"> as X; UserData
// leaves by element name) and normalized by the shared Windows mapping (windows_events.hpp).
// docs/formats/evtx.md describes the reader, docs/formats/windows.md the field mapping.

#include <fmt/format.h>

#include <charconv>
#include <cstring>

#include "mamori/decode/decoder.hpp"
#include "mamori/decode/evtx/binxml.hpp"
#include "mamori/decode/evtx/evtx_file.hpp"
#include "mamori/decode/windows_events.hpp"

namespace mamori::builtins {

namespace {

namespace ex = mamori::evtx;

bool is_integer_type(std::uint8_t t) {
  return t >= ex::vtype::int8 && t <= ex::vtype::uint64;
}

// Turns the document of one record into raw fields.
class record_flattener final : public ex::visitor {
 public:
  record_flattener() : names_(windows::name_ids::local()) {
    id_event_id_ = names_.get("EventID");
    id_data_ = names_.get("Data");
    id_record_id_ = names_.get("EventRecordID");
    id_message_ = names_.get("Message");
  }

  void begin(event& ev, decode_context& ctx) {
    ev_ = &ev;
    ctx_ = &ctx;
    stack_.clear();
    text_.clear();
    has_int_ = false;
    in_attr_ = false;
    saw_record_id_ = false;
    saw_root_ = false;
  }

  // Whether the document had a root element (an empty BinXml stream is not an event).
  bool saw_root() const { return saw_root_; }

  // After the document: the EventRecordID from the record header when the XML has none.
  void finish(std::uint64_t record_id) {
    if (!saw_record_id_) {
      ev_->add_raw(id_record_id_, mamori::value::integer(static_cast<std::int64_t>(record_id)));
    }
  }

  void start_element(const ex::name_entry& name) override {
    saw_root_ = true;
    section sec = section::event;
    if (!stack_.empty()) {
      frame& parent = stack_.back();
      parent.has_children = true;
      switch (parent.sec) {
        case section::event:
          sec = name.text == "System"          ? section::system
                : name.text == "EventData"     ? section::event_data
                : name.text == "RenderingInfo" ? section::rendering
                                               : section::user_data;
          break;
        case section::system:
          sec = section::system_field;
          break;
        case section::event_data:
        case section::event_data_field:
          sec = section::event_data_field;
          break;
        case section::rendering:
          sec = section::rendering_field;
          break;
        default:
          sec = parent.sec == section::user_data ? section::user_data : section::ignored;
      }
    }
    stack_.push_back({&name, sec, false});
    text_.clear();
    has_int_ = false;
    data_name_.clear();
  }

  void end_element() override {
    if (stack_.empty()) return;
    const frame f = stack_.back();
    stack_.pop_back();
    if (!f.has_children) emit_leaf(f);
    text_.clear();
    has_int_ = false;
  }

  void start_attribute(const ex::name_entry& name) override {
    in_attr_ = true;
    attr_name_ = &name;
    attr_text_.clear();
    attr_has_int_ = false;
    attr_filetime_ = 0;
  }

  void end_attribute() override {
    in_attr_ = false;
    if (stack_.empty()) return;
    const frame& f = stack_.back();
    const std::string_view attr = attr_name_->text;
    switch (f.sec) {
      case section::system_field:
        system_attribute(f.name->text, attr);
        break;
      case section::event_data_field:
        if (attr == "Name") {
          flush_int(attr_text_, attr_has_int_, attr_int_);
          data_name_ = attr_text_;
        }
        break;
      case section::user_data:
        if (attr != "xmlns" && !attr.starts_with("xmlns:") &&
            (attr_has_int_ || !attr_text_.empty())) {
          ev_->add_raw(cached_id(*attr_name_), attr_value());
        }
        break;
      default:
        break;
    }
  }

  void text(std::string_view utf8) override {
    if (in_attr_) {
      flush_int(attr_text_, attr_has_int_, attr_int_);
      attr_text_ += utf8;
    } else {
      flush_int(text_, has_int_, int_);
      text_ += utf8;
    }
  }

  void value(std::uint8_t type, ex::bytes_view bytes) override {
    std::string& out = in_attr_ ? attr_text_ : text_;
    bool& has = in_attr_ ? attr_has_int_ : has_int_;
    std::int64_t& slot = in_attr_ ? attr_int_ : int_;
    if (in_attr_ && type == ex::vtype::filetime && bytes.size() == 8) {
      std::uint64_t ft = 0;
      std::memcpy(&ft, bytes.data(), 8);
      attr_filetime_ = ft;
    }
    if (out.empty() && !has && is_integer_type(type)) {
      if (auto n = ex::value_integer(type, bytes)) {
        has = true;
        slot = *n;
        return;
      }
    }
    flush_int(out, has, slot);
    ex::append_value_text(out, type, bytes);
  }

  void array_item() override {
    if (in_attr_) {
      flush_int(attr_text_, attr_has_int_, attr_int_);
      attr_text_ += ',';
      return;
    }
    // Each item of an array becomes its own value of the element's field.
    if (!stack_.empty()) emit_leaf(stack_.back());
    text_.clear();
    has_int_ = false;
  }

 private:
  enum class section : std::uint8_t {
    event,
    system,
    system_field,
    event_data,
    event_data_field,
    user_data,
    rendering,
    rendering_field,
    ignored,
  };
  struct frame {
    const ex::name_entry* name;
    section sec;
    bool has_children;
  };

  static void flush_int(std::string& out, bool& has, std::int64_t v) {
    if (!has) return;
    has = false;
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;
    out.append(buf, end);
  }

  field_id cached_id(const ex::name_entry& n) {
    if (n.user == 0xffffffffu) n.user = names_.get(n.text);
    return n.user;
  }

  mamori::value content_value() {
    if (has_int_ && text_.empty()) return mamori::value::integer(int_);
    flush_int(text_, has_int_, int_);
    return mamori::value::string(ctx_->store(windows::trim_trailing_space(text_)));
  }

  mamori::value attr_value() {
    if (attr_has_int_ && attr_text_.empty()) return mamori::value::integer(attr_int_);
    flush_int(attr_text_, attr_has_int_, attr_int_);
    return mamori::value::string(ctx_->store(windows::trim_trailing_space(attr_text_)));
  }

  void system_attribute(std::string_view element, std::string_view attr) {
    if (!attr_has_int_ && attr_text_.empty()) return;  // optional value absent
    std::string_view name;
    if (element == "Provider") {
      name = attr == "Name" ? "Provider_Name" : attr == "Guid" ? "Provider_Guid" : "";
    } else if (element == "TimeCreated" && attr == "SystemTime") {
      name = "TimeCreated";
      if (attr_filetime_ != 0) {
        if (auto t = ex::filetime_to_unix_ns(attr_filetime_)) ev_->time_ns = *t;
      }
    } else if (element == "Execution" && (attr == "ProcessID" || attr == "ThreadID")) {
      name = attr;
    } else if (element == "Security" && attr == "UserID") {
      name = "UserID";
    } else if (element == "Correlation") {
      name = attr;  // ActivityID, RelatedActivityID
    } else if (element == "EventID" && attr == "Qualifiers") {
      return;  // EventID stays the bare event number
    }
    if (name.empty()) {
      scratch_.assign(element);
      scratch_ += '_';
      scratch_ += attr;
      name = scratch_;
    }
    ev_->add_raw(names_.get(name), attr_value());
  }

  void emit_leaf(const frame& f) {
    switch (f.sec) {
      case section::system_field: {
        if (!has_int_ && text_.empty()) return;
        const field_id id = cached_id(*f.name);
        if (id == id_event_id_ && !has_int_) {
          if (auto n = windows::parse_windows_integer(text_)) {
            ev_->add_raw(id, mamori::value::integer(*n));
            return;
          }
        }
        if (id == id_record_id_) saw_record_id_ = true;
        ev_->add_raw(id, content_value());
        return;
      }
      case section::event_data_field: {
        field_id id;
        if (f.name->text == "Data") {
          id = data_name_.empty() ? id_data_ : names_.get(data_name_);
        } else {
          id = cached_id(*f.name);  // Binary, or any other element
        }
        ev_->add_raw(id, content_value());
        return;
      }
      case section::user_data:
        if (has_int_ || !text_.empty()) ev_->add_raw(cached_id(*f.name), content_value());
        return;
      case section::rendering_field:
        if (f.name->text == "Message" && !text_.empty()) ev_->add_raw(id_message_, content_value());
        return;
      default:
        return;
    }
  }

  event* ev_ = nullptr;
  decode_context* ctx_ = nullptr;
  windows::name_ids& names_;
  field_id id_event_id_;
  field_id id_data_;
  field_id id_record_id_;
  field_id id_message_;
  std::vector<frame> stack_;
  std::string text_;
  bool has_int_ = false;
  std::int64_t int_ = 0;
  bool in_attr_ = false;
  const ex::name_entry* attr_name_ = nullptr;
  std::string attr_text_;
  bool attr_has_int_ = false;
  std::int64_t attr_int_ = 0;
  std::uint64_t attr_filetime_ = 0;
  std::string data_name_;
  std::string scratch_;
  bool saw_record_id_ = false;
  bool saw_root_ = false;
};

ex::bytes_view as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

class evtx_decoder final : public decoder {
 public:
  void decode(input_reader& in, decode_context& ctx) override {
    const ex::bytes_view head = as_bytes(in.peek(ex::file_header_block));
    if (auto h = ex::parse_file_header(head)) {
      if (!h->checksum_ok) {
        ctx.report(severity_level::warning, 0, 0, "EVTX file header checksum mismatch",
                   "the header is ignored; chunks are read until the end of the file");
      }
      in.consume(std::min(head.size(), ex::file_header_block));
    } else if (!ex::has_chunk_signature(head)) {
      ctx.report(severity_level::error, 0, 0, "not an EVTX file: no ElfFile or ElfChnk signature");
      return;
    }
    // Every 64 KiB after the header is a chunk, whatever the header's chunk count says: dirty
    // files hold more chunks than they declare.
    while (true) {
      const ex::bytes_view chunk = as_bytes(in.peek(ex::chunk_size));
      if (chunk.empty()) break;
      decode_chunk(chunk, in.offset(), ctx);
      in.consume(chunk.size());
    }
    if (in.stream_error()) {
      ctx.report(severity_level::error, 0, in.offset(), *in.stream_error(),
                 "records before this point were kept");
    }
  }

 private:
  void decode_chunk(ex::bytes_view chunk, std::uint64_t base, decode_context& ctx) {
    auto header = ex::parse_chunk_header(chunk);
    if (!header) {
      if (ex::all_zero(chunk)) return;
      ctx.report(severity_level::error, 0, base,
                 chunk.size() < ex::chunk_header_size
                     ? fmt::format("truncated EVTX chunk: {} bytes", chunk.size())
                     : std::string("corrupted EVTX chunk: no ElfChnk signature; chunk skipped"));
      return;
    }
    std::string problems;
    auto note = [&](std::string_view p) {
      if (!problems.empty()) problems += "; ";
      problems += p;
    };
    if (chunk.size() < ex::chunk_size) {
      note(fmt::format("truncated to {} of {} bytes", chunk.size(), ex::chunk_size));
    }
    if (!header->header_checksum_ok) note("header checksum mismatch");
    std::uint32_t end = header->free_space_offset;
    if (end < ex::chunk_header_size || end > ex::chunk_size) {
      note(fmt::format("free space offset {} out of range", end));
      end = static_cast<std::uint32_t>(chunk.size());
    } else if (!header->data_checksum_ok && end <= chunk.size()) {
      note("records checksum mismatch");
    }
    std::uint64_t first_problem = base;
    interpreter_.reset(chunk);
    ex::record_walker walker(chunk, end);
    while (auto item = walker.next()) {
      const std::uint64_t offset = base + item->offset;
      if (item->what == ex::record_item::kind::garbage) {
        if (problems.empty()) first_problem = offset;
        note(fmt::format("{} at offset {}", item->reason, offset));
        continue;
      }
      ++ctx.counters().records;
      if (item->what == ex::record_item::kind::broken) {
        ctx.reject(0, offset, fmt::format("EVTX record {}: {}", item->id, item->reason));
        continue;
      }
      event& ev = ctx.begin_event(0, offset);
      flattener_.begin(ev, ctx);
      auto error = interpreter_.interpret(item->offset + ex::record_header_size,
                                          item->size - ex::record_header_size - 4, flattener_);
      if (!error && !flattener_.saw_root()) error = "no event XML in the record";
      if (error) {
        ctx.abandon_event();
        ctx.reject(0, offset, fmt::format("EVTX record {}: {}", item->id, *error));
        continue;
      }
      flattener_.finish(item->id);
      if (ev.time_ns == 0) {
        if (auto t = ex::filetime_to_unix_ns(item->written)) ev.time_ns = *t;
      }
      normalizer_.apply(ev, ctx);
      ctx.commit_event();
    }
    if (!problems.empty()) {
      ctx.report(severity_level::warning, 0, first_problem,
                 fmt::format("corrupted EVTX chunk: {}", problems),
                 "every record that could be read was kept");
    }
  }

  ex::chunk_interpreter interpreter_;
  record_flattener flattener_;
  windows::normalizer normalizer_;
};

}  // namespace

decoder_spec evtx_spec() {
  return {
      .name = "evtx",
      .title = "Windows XML Event Log (.evtx)",
      .reads =
          "native .evtx files (Security, System, Sysmon, PowerShell, any channel), read "
          "chunk by chunk by mamori's own BinXml reader",
      .level = maturity::beta,
      .hardened = true,
      .sniff =
          [](const sniff_sample& s) {
            const ex::bytes_view head = as_bytes(s.head);
            if (ex::has_file_signature(head)) return 100;
            if (ex::has_chunk_signature(head)) return 90;
            return 0;
          },
      .make = [] { return std::make_unique<evtx_decoder>(); },
  };
}

}  // namespace mamori::builtins
