// Synthetic communities for demos, tests and benchmarks: realistic Chinese names, valid ID and
// mobile numbers, buildings of 6-33 floors, households of 1-6 people with plausible relations
// and ages, volunteers and vulnerable residents in plausible shares. Deterministic: the same
// options give the same community, byte for byte, on every machine (own PRNG, no
// std::*_distribution). Not thread-safe; one generator per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/resident_input.hpp"

namespace juwei::service {

struct SynthOptions {
  std::uint64_t seed = 1;
  int households = 1383;
  int residents = 3650;  // must lie in [households, 6 * households]
  int volunteers = 160;  // exact count, chosen among residents aged 18-65
  domain::Date today{std::chrono::year{2022}, std::chrono::month{4}, std::chrono::day{4}};
  std::string region_code = "310109";  // Hongkou District, Shanghai: first 6 ID digits
};

class CommunityGenerator {
 public:
  explicit CommunityGenerator(SynthOptions options);
  CommunityGenerator(const CommunityGenerator&) = delete;
  CommunityGenerator& operator=(const CommunityGenerator&) = delete;
  ~CommunityGenerator();

  // The community's buildings ("1号楼", ...; floors 6-33), planned at construction so that
  // they hold exactly options.households households. community_id and id are unset.
  const std::vector<domain::Building>& buildings() const;

  // The next resident, household by household (head first), building and room filled in;
  // nullopt after exactly options.residents residents.
  std::optional<domain::ValidResident> next();

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace juwei::service
