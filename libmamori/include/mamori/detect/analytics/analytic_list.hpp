#pragma once
// The analytics, one file each under src/detect/analytics/ (docs/analytics.md). The factory
// (factory.cpp) creates the enabled ones in this order.

#include <memory>

#include "mamori/detect/analytics/context.hpp"

namespace mamori::analytics {

using ctx_ptr = std::shared_ptr<analytics_context>;

std::unique_ptr<analytic> make_brute_force(ctx_ptr ctx, const brute_force_params& p);
std::unique_ptr<analytic> make_brute_force_source(ctx_ptr ctx, const brute_force_params& p);
std::unique_ptr<analytic> make_password_spray(ctx_ptr ctx, const password_spray_params& p);
std::unique_ptr<analytic> make_distributed_brute_force(ctx_ptr ctx,
                                                       const distributed_brute_force_params& p);
std::unique_ptr<analytic> make_impossible_travel(ctx_ptr ctx, const impossible_travel_params& p);
std::unique_ptr<analytic> make_concurrent_countries(ctx_ptr ctx,
                                                    const concurrent_countries_params& p);
std::unique_ptr<analytic> make_new_country(ctx_ptr ctx, const new_country_params& p);
std::unique_ptr<analytic> make_new_device(ctx_ptr ctx, const new_device_params& p);
std::unique_ptr<analytic> make_unusual_service(ctx_ptr ctx, const unusual_service_params& p);
// mass_download, mass_upload, mass_delete: one analytic per kind.
std::unique_ptr<analytic> make_mass_activity(ctx_ptr ctx, const mass_activity_params& p,
                                             file_op kind);
std::unique_ptr<analytic> make_root_activity(ctx_ptr ctx, const cloud_critical_params& p);
std::unique_ptr<analytic> make_cloud_config_change(ctx_ptr ctx, const cloud_critical_params& p);
std::unique_ptr<analytic> make_anonymizer(ctx_ptr ctx, const anonymizer_params& p);

}  // namespace mamori::analytics
