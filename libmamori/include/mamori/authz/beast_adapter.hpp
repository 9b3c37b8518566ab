#pragma once
// Mounting the decision endpoint in another Boost.Beast server (`mamori serve`): turn its
// request into an http_in view (no copies) and a reply into its response type.
//
//   authz::http_reply reply;
//   service.handle(authz::to_http_in(req, peer_address), reply);
//   authz::to_beast_response(reply, res);   // res: http::response<http::string_body>

#include <boost/beast/http.hpp>
#include <string_view>

#include "mamori/authz/service.hpp"

namespace mamori::authz {

template <typename Body, typename Fields>
http_in to_http_in(const boost::beast::http::request<Body, Fields>& req, std::string_view peer) {
  http_in in;
  const auto m = req.method_string();
  const auto t = req.target();
  in.method = {m.data(), m.size()};
  in.target = {t.data(), t.size()};
  if constexpr (std::is_same_v<Body, boost::beast::http::string_body>) in.body = req.body();
  in.peer = peer;
  in.header = header_lookup{
      &req, [](const void* ctx, std::string_view name) -> std::string_view {
        const auto& r = *static_cast<const boost::beast::http::request<Body, Fields>*>(ctx);
        auto it = r.find(boost::beast::string_view(name.data(), name.size()));
        if (it == r.end()) return {};
        const auto v = it->value();
        return {v.data(), v.size()};
      }};
  return in;
}

template <typename Fields>
void to_beast_response(http_reply& reply,
                       boost::beast::http::response<boost::beast::http::string_body, Fields>& res) {
  res.result(static_cast<unsigned>(reply.status));
  res.set(boost::beast::http::field::content_type,
          boost::beast::string_view(reply.content_type.data(), reply.content_type.size()));
  for (const auto& [k, v] : reply.headers) {
    res.insert(boost::beast::string_view(k.data(), k.size()),
               boost::beast::string_view(v.data(), v.size()));
  }
  res.body() = std::move(reply.body);
  res.prepare_payload();
}

}  // namespace mamori::authz
