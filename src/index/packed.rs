//! The facet values of a process packed into one integer (the `facets` fast field).
//!
//! A search page counts six facets over every match: platform, department, modality,
//! status, contract type and year. Read from six columns, that is six column lookups per
//! match, and some of those columns are optional (a lookup goes through their presence
//! index). Every one of these values is small (an enum, a two-digit DIVIPOLA code, a year),
//! so they fit together in one always-present `u64`: one lookup per match, then shifts and
//! masks. On a broad search over a million documents this is most of the facet cost.

use crate::model::{ContractType, Modality, Platform, Status};

/// A packed field: where it starts and how many bits it has.
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    shift: u32,
    bits: u32,
}

impl Slot {
    const fn after(prev: Slot, bits: u32) -> Slot {
        Slot {
            shift: prev.shift + prev.bits,
            bits,
        }
    }

    /// The slot's value in a packed integer (0: none).
    #[inline]
    pub fn get(self, packed: u64) -> usize {
        ((packed >> self.shift) & ((1 << self.bits) - 1)) as usize
    }

    fn put(self, v: u64) -> u64 {
        debug_assert!(v < 1 << self.bits);
        (v & ((1 << self.bits) - 1)) << self.shift
    }

    /// How many distinct values the slot holds (0 included).
    pub const fn size(self) -> usize {
        1 << self.bits
    }
}

/// 1 SECOP I, 2 SECOP II.
pub const PLATFORM: Slot = Slot { shift: 0, bits: 2 };
/// The DIVIPOLA department code plus one (`05` is 6).
pub const DEPARTMENT: Slot = Slot::after(PLATFORM, 7);
/// The position in [`Modality::ALL`] plus one.
pub const MODALITY: Slot = Slot::after(DEPARTMENT, 6);
/// The position in [`Status::ALL`] plus one.
pub const STATUS: Slot = Slot::after(MODALITY, 6);
/// The position in [`ContractType::ALL`] plus one.
pub const CONTRACT_TYPE: Slot = Slot::after(STATUS, 6);
/// The year itself.
pub const YEAR: Slot = Slot::after(CONTRACT_TYPE, 16);
const _: () = assert!(YEAR.shift + YEAR.bits <= 64, "the slots must fit in a u64");

/// The facet values of a process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FacetValues<'a> {
    /// Platform.
    pub platform: Option<Platform>,
    /// DIVIPOLA department code (two digits).
    pub department: Option<&'a str>,
    /// Modality.
    pub modality: Modality,
    /// Status.
    pub status: Status,
    /// Contract type.
    pub contract_type: ContractType,
    /// Year the process is placed at.
    pub year: Option<i32>,
}

fn position<T: PartialEq>(all: &[T], v: &T) -> u64 {
    all.iter().position(|x| x == v).map_or(0, |i| i as u64 + 1)
}

/// Packs the values. A department code that is not two digits, or a year outside
/// 1..=65535, is left out (never the case for DIVIPOLA codes and real dates).
pub fn pack(v: &FacetValues) -> u64 {
    let platform = match v.platform {
        None => 0,
        Some(Platform::SecopI) => 1,
        Some(Platform::SecopII) => 2,
    };
    let department = v
        .department
        .filter(|c| c.len() == 2)
        .and_then(|c| c.parse::<u64>().ok())
        .map_or(0, |n| n + 1);
    let year = v
        .year
        .filter(|y| (1..1 << YEAR.bits).contains(y))
        .map_or(0, |y| y as u64);
    PLATFORM.put(platform)
        | DEPARTMENT.put(department)
        | MODALITY.put(position(Modality::ALL, &v.modality))
        | STATUS.put(position(Status::ALL, &v.status))
        | CONTRACT_TYPE.put(position(ContractType::ALL, &v.contract_type))
        | YEAR.put(year)
}

/// The facet value (as filters and facets spell it) of slot number `n` of a keyword facet:
/// `platform`, `department`, `modality`, `status` or `contract_type`.
pub fn keyword_value(facet: &str, n: usize) -> Option<String> {
    let nth = |k: usize| n.checked_sub(1).filter(|i| *i < k);
    match facet {
        "platform" => match n {
            1 => Some(Platform::SecopI.code().to_string()),
            2 => Some(Platform::SecopII.code().to_string()),
            _ => None,
        },
        "department" => n.checked_sub(1).map(|c| format!("{c:02}")),
        "modality" => nth(Modality::ALL.len()).map(|i| Modality::ALL[i].code().to_string()),
        "status" => nth(Status::ALL.len()).map(|i| Status::ALL[i].code().to_string()),
        "contract_type" => {
            nth(ContractType::ALL.len()).map(|i| ContractType::ALL[i].code().to_string())
        }
        _ => None,
    }
}

/// The slot of a keyword facet.
pub fn keyword_slot(facet: &str) -> Option<Slot> {
    Some(match facet {
        "platform" => PLATFORM,
        "department" => DEPARTMENT,
        "modality" => MODALITY,
        "status" => STATUS,
        "contract_type" => CONTRACT_TYPE,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::place::Divipola;

    #[test]
    fn the_vocabularies_fit_their_slots() {
        assert!(Modality::ALL.len() < MODALITY.size());
        assert!(Status::ALL.len() < STATUS.size());
        assert!(ContractType::ALL.len() < CONTRACT_TYPE.size());
    }

    #[test]
    fn every_value_comes_back() {
        let depts: Vec<String> = Divipola::get()
            .departments()
            .iter()
            .map(|d| d.code.clone())
            .collect();
        assert!(depts.len() >= 33);
        for (i, d) in depts.iter().enumerate() {
            let v = FacetValues {
                platform: Some(if i % 2 == 0 {
                    Platform::SecopI
                } else {
                    Platform::SecopII
                }),
                department: Some(d),
                modality: Modality::ALL[i % Modality::ALL.len()],
                status: Status::ALL[i % Status::ALL.len()],
                contract_type: ContractType::ALL[i % ContractType::ALL.len()],
                year: Some(2000 + i as i32),
            };
            let p = pack(&v);
            let back = |facet: &str| keyword_value(facet, keyword_slot(facet).unwrap().get(p));
            assert_eq!(back("platform").as_deref(), v.platform.map(|p| p.code()));
            assert_eq!(back("department").as_deref(), Some(d.as_str()));
            assert_eq!(back("modality").as_deref(), Some(v.modality.code()));
            assert_eq!(back("status").as_deref(), Some(v.status.code()));
            assert_eq!(
                back("contract_type").as_deref(),
                Some(v.contract_type.code())
            );
            assert_eq!(YEAR.get(p), 2000 + i);
        }
        // Nothing known: every slot empty but the vocabularies' defaults.
        let p = pack(&FacetValues {
            department: Some("Antioquia"),
            year: Some(0),
            ..FacetValues::default()
        });
        assert_eq!((PLATFORM.get(p), DEPARTMENT.get(p), YEAR.get(p)), (0, 0, 0));
        assert_eq!(keyword_value("department", 0), None);
    }
}
