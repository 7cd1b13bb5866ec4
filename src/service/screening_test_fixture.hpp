// For screening and results tests: the service fixture with 13 residents, 12 in 12号楼 (two
// households of six: rooms 101 and 102) and one in 13号楼, and a helper to swab them.
#pragma once

#include <string>
#include <vector>

#include "service/registry.hpp"
#include "service/screening.hpp"
#include "service/service_test_fixture.hpp"

namespace juwei::service {

using domain::TubeKind;

class ScreeningTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    Registry registry(*m_store, clock());
    // 12 residents in 12号楼 (two households) and one in 13号楼.
    for (int i = 0; i < 13; ++i) {
      ResidentChange r;
      r.name = "居民" + std::to_string(i);
      r.id_number = id_numbers[i];
      r.building = i < 12 ? "12号楼" : "13号楼";
      r.room = i < 6 ? "101" : "102";
      m_residents.push_back(
          registry.create_resident(m_community, r, kOperator).value().value.resident.id);
    }
    m_b12 = registry.building(m_community, "12号楼").value().id;
    m_b13 = registry.building(m_community, "13号楼").value().id;
  }
  SampleInput swab(int resident, std::string tube, TubeKind kind = TubeKind::pooled) {
    return SampleInput{std::move(tube), kind, m_residents.at(resident), false, ""};
  }

  // Valid GB 11643 numbers (check digits computed), one per resident.
  static constexpr const char* id_numbers[] = {
      "110105194912310126", "110105194912310222", "110105194912310329", "110105194912310425",
      "110105194912310521", "110105194912310628", "110105194912310724", "110105194912310820",
      "110105194912310927", "110105194912311022", "110105194912311129", "110105194912311225",
      "110105194912311321"};
  std::vector<domain::ResidentId> m_residents;
  domain::BuildingId m_b12 = 0;
  domain::BuildingId m_b13 = 0;
};

}  // namespace juwei::service
