// Resident ID numbers (居民身份证号码) under GB 11643-1999, as domain/id_number.cpp reads them:
// 17 digits and an ISO 7064 MOD 11-2 check character (0-9 or X). The gate checks a typed number
// here before it asks the server, so that a slip of the finger is not taken for a stranger.

const kWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const kCheckCharacters = '10X98765432'

// 17 digits and a digit or X (either case).
export const idNumberPattern = /^\d{17}[\dXx]$/

// The check character of the first 17 digits (domain::id_check_character).
export function idCheckCharacter(first17) {
  let sum = 0
  for (let i = 0; i < kWeights.length; i++) sum += Number(first17[i]) * kWeights[i]
  return kCheckCharacters[sum % 11]
}

// Whether `id`, which matches idNumberPattern, ends in the check character of its digits.
export function checkCharacterMatches(id) {
  return id[17].toUpperCase() === idCheckCharacter(id.slice(0, 17))
}
