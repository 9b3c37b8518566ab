#include "mamori/detect/sigma/detection.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace mamori::sigma {

namespace {

build_error at(const ynode& n, build_error e) {
  if (e.line == 0) {
    e.line = n.line;
    e.column = n.column;
  }
  return e;
}

tl::expected<dnode, build_error> compile_map(const ynode& map, std::vector<leaf_spec>& leaves,
                                             const placeholder_map* placeholders) {
  if (map.entries.empty()) {
    return tl::unexpected(at(map, build_error{"empty selection map", false}));
  }
  std::vector<dnode> parts;
  for (const auto& [k, v] : map.entries) {
    if (!k.is_scalar()) {
      return tl::unexpected(at(k, build_error{"a field name must be a string", false}));
    }
    auto item = build_item(k.text, v, leaves, placeholders);
    if (!item) return tl::unexpected(at(k, item.error()));
    parts.push_back(std::move(*item));
  }
  if (parts.size() == 1) return std::move(parts[0]);
  return dnode::make(dnode::op::and_, std::move(parts));
}

tl::expected<dnode, build_error> compile_identifier(const ynode& n, std::vector<leaf_spec>& leaves,
                                                    const placeholder_map* placeholders) {
  switch (n.k) {
    case ynode::kind::mapping:
      return compile_map(n, leaves, placeholders);
    case ynode::kind::sequence: {
      if (n.items.empty()) {
        return tl::unexpected(at(n, build_error{"empty search identifier list", false}));
      }
      std::vector<dnode> parts;
      for (const auto& item : n.items) {
        if (item.is_mapping()) {
          auto m = compile_map(item, leaves, placeholders);
          if (!m) return m;
          parts.push_back(std::move(*m));
        } else if (item.is_scalar()) {
          auto kw = build_item("", item, leaves, placeholders);
          if (!kw) return tl::unexpected(at(item, kw.error()));
          parts.push_back(std::move(*kw));
        } else {
          return tl::unexpected(at(
              item, build_error{item.is_null() ? "null keyword in a search identifier list"
                                               : "nested list in a search identifier",
                                false}));
        }
      }
      if (parts.size() == 1) return std::move(parts[0]);
      return dnode::make(dnode::op::or_, std::move(parts));
    }
    case ynode::kind::scalar: {
      auto kw = build_item("", n, leaves, placeholders);
      if (!kw) return tl::unexpected(at(n, kw.error()));
      return kw;
    }
    case ynode::kind::null:
      break;
  }
  return tl::unexpected(at(n, build_error{"search identifier without a value", false}));
}

struct condition_builder {
  const rule_logic& logic;

  tl::expected<dnode, std::string> build(const cond_expr& c) const {
    switch (c.o) {
      case cond_expr::op::ident: {
        for (std::size_t i = 0; i < logic.ident_names.size(); ++i)
          if (logic.ident_names[i] == c.name) return logic.idents[i];
        return tl::unexpected(
            fmt::format("condition references unknown search identifier '{}'", c.name));
      }
      case cond_expr::op::one_of:
      case cond_expr::op::all_of: {
        std::vector<dnode> parts;
        for (std::size_t i = 0; i < logic.ident_names.size(); ++i) {
          const auto& name = logic.ident_names[i];
          const bool match = c.name == "them" ? !name.starts_with("_")
                                              : ident_matches(c.name, name);
          if (match) parts.push_back(logic.idents[i]);
        }
        if (parts.empty()) {
          return tl::unexpected(
              fmt::format("'{}' matches no search identifier", c.to_string()));
        }
        if (parts.size() == 1) return std::move(parts[0]);
        return dnode::make(c.o == cond_expr::op::one_of ? dnode::op::or_ : dnode::op::and_,
                           std::move(parts));
      }
      case cond_expr::op::not_: {
        auto inner = build(c.children.at(0));
        if (!inner) return inner;
        return dnode::make(dnode::op::not_, {std::move(*inner)});
      }
      case cond_expr::op::and_:
      case cond_expr::op::or_: {
        std::vector<dnode> parts;
        for (const auto& ch : c.children) {
          auto p = build(ch);
          if (!p) return p;
          parts.push_back(std::move(*p));
        }
        return dnode::make(c.o == cond_expr::op::and_ ? dnode::op::and_ : dnode::op::or_,
                           std::move(parts));
      }
    }
    return tl::unexpected(std::string("bad condition"));
  }
};

void shift_leaves(dnode& n, std::uint32_t by) {
  if (n.o == dnode::op::leaf) n.leaf += by;
  for (auto& c : n.children) shift_leaves(c, by);
}

}  // namespace

tl::expected<rule_logic, build_error> compile_detection(
    const ynode& section, const placeholder_map* placeholders,
    const std::vector<std::string_view>& skip) {
  rule_logic logic;
  const ynode* condition = nullptr;
  for (const auto& [k, v] : section.entries) {
    if (!k.is_scalar()) {
      return tl::unexpected(at(k, build_error{"a search identifier must be a string", false}));
    }
    if (k.text == "condition") {
      condition = &v;
      continue;
    }
    if (k.text == "timeframe") continue;  // Sigma 1 aggregation window, see the condition
    if (std::find(skip.begin(), skip.end(), std::string_view(k.text)) != skip.end()) continue;
    auto e = compile_identifier(v, logic.leaves, placeholders);
    if (!e) return tl::unexpected(e.error());
    logic.ident_names.push_back(k.text);
    logic.idents.push_back(std::move(*e));
  }
  if (condition == nullptr) {
    return tl::unexpected(at(section, build_error{"missing condition", false}));
  }
  std::vector<const ynode*> texts;
  if (condition->is_scalar()) {
    texts.push_back(condition);
  } else if (condition->is_sequence() && !condition->items.empty()) {
    for (const auto& i : condition->items) {
      if (!i.is_scalar()) {
        return tl::unexpected(at(i, build_error{"a condition must be a string", false}));
      }
      texts.push_back(&i);
    }
  } else {
    return tl::unexpected(
        at(*condition, build_error{"condition must be a string or a list of strings", false}));
  }
  std::vector<dnode> alternatives;
  condition_builder builder{logic};
  for (const ynode* t : texts) {
    auto parsed = parse_condition(t->text);
    if (!parsed) {
      build_error e{fmt::format("condition: {} (at column {} of '{}')", parsed.error().message,
                                parsed.error().offset + 1, t->text),
                    parsed.error().unsupported};
      return tl::unexpected(at(*t, std::move(e)));
    }
    auto d = builder.build(*parsed);
    if (!d) return tl::unexpected(at(*t, build_error{d.error(), false}));
    alternatives.push_back(std::move(*d));
    if (!logic.condition_text.empty()) logic.condition_text += " | ";
    logic.condition_text += t->text;
  }
  logic.condition = alternatives.size() == 1
                        ? std::move(alternatives[0])
                        : dnode::make(dnode::op::or_, std::move(alternatives));
  return logic;
}

void apply_filter(rule_logic& target, const rule_logic& filter, std::string_view prefix) {
  const auto base = static_cast<std::uint32_t>(target.leaves.size());
  for (const auto& l : filter.leaves) target.leaves.push_back(l);
  for (std::size_t i = 0; i < filter.idents.size(); ++i) {
    dnode d = filter.idents[i];
    shift_leaves(d, base);
    target.ident_names.push_back(fmt::format("{}:{}", prefix, filter.ident_names[i]));
    target.idents.push_back(std::move(d));
  }
  dnode f = filter.condition;
  shift_leaves(f, base);
  std::vector<dnode> both;
  both.push_back(std::move(target.condition));
  both.push_back(dnode::make(dnode::op::not_, {std::move(f)}));
  target.condition = dnode::make(dnode::op::and_, std::move(both));
  target.condition_text =
      fmt::format("({}) and not {}({})", target.condition_text, prefix, filter.condition_text);
}

}  // namespace mamori::sigma
