// Registry use cases: creating a community, finding who lives where, exporting the register,
// and filling a community with synthetic residents. Each call is one transaction. Holds a
// reference to the Store, which must outlive it; as thread-safe as the Store.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "domain/account.hpp"
#include "service/clock.hpp"
#include "service/error.hpp"
#include "service/synth.hpp"
#include "store/store.hpp"
#include "text/encoding.hpp"

namespace juwei::service {

inline constexpr std::string_view kDefaultCommunityName = "我的居民区";

// The seed community of the story: 1,383 households, 3,650 residents, 160 volunteers.
inline constexpr std::string_view kSeedStreet = "示范街道";
inline constexpr std::string_view kSeedCommunity = "春晖居民区";

struct SeedOutcome {
  domain::Community community;
  store::RegistryCounts counts;
  bool created = false;  // false: it was there already, nothing changed
};

struct InitOutcome {
  domain::Community community;
  bool created = false;  // false: it existed already, nothing changed
};

class Registry {
 public:
  Registry(store::Store& store, Clock clock);

  // Creates the community (and its street office, when named) unless it exists.
  Result<InitOutcome> init_community(std::string_view name, std::string_view street = {});

  // The community a command acts on: the one named (by name or id), or the only one there
  // is. An error names the choices when there are several, or says to run `juwei init`.
  Result<domain::Community> resolve_community(std::optional<std::string_view> name_or_id);
  Result<std::vector<domain::Community>> communities();

  Result<std::vector<store::ResidentRow>> search(const store::ResidentQuery& query);
  // The same, as a user of the given role may see it: ID numbers masked for gate and
  // volunteer roles (domain::sees_masked_id_numbers).
  Result<std::vector<store::ResidentRow>> search_as(domain::Role viewer,
                                                    const store::ResidentQuery& query);
  // A building by name, or not_found listing what exists.
  Result<domain::Building> building(domain::CommunityId community, std::string_view name);
  Result<store::RegistryCounts> counts(domain::CommunityId community);
  Result<std::vector<domain::Building>> buildings(domain::CommunityId community);

  // Writes the community's register as CSV (import's format, Chinese headers); returns the
  // number of residents written.
  Result<std::int64_t> export_residents(domain::CommunityId community, std::ostream& out,
                                        text::Encoding encoding);

  // Creates the seed community (SynthOptions{}) unless it has residents already.
  Result<SeedOutcome> ensure_seed_community();

  // Adds every resident the generator yields, with its buildings and households.
  Result<store::RegistryCounts> add_synthetic(domain::CommunityId community,
                                              CommunityGenerator& generator);

 private:
  store::Store& m_store;
  Clock m_clock;
};

}  // namespace juwei::service
