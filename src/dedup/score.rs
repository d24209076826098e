//! The score of a pair and its reasons in plain Spanish.
//!
//! Each feature adds evidence for or against "the same process" as a weight in log-odds,
//! as in Fellegi–Sunter record linkage. The score is the logistic of the prior (-4) plus
//! the weights, so it lies between 0 and 1, and each weight is kept with a sentence that
//! explains it:
//!
//! | feature | for | against |
//! |---|---|---|
//! | reference | same +4.5, same short number +2.5, one inside the other +2.5 | other number −6 (short ones −3.5), none to compare −1 |
//! | object | up to +3.5 (95 % alike), +1 at most when the entity repeats it in those weeks and the references do not agree | −4 below 30 % alike; −1.5 a substituted word, −2 a substituted number |
//! | value | equal +1.5, within 0.5 % +1, within 5 % +0.3 | beyond 20 % −2 |
//! | dates | same day +1.5, ≤ 3 days +1.2, ≤ 10 days +0.8 | 21–45 days −1, more −1.5 |
//! | modality | same +0.5 | incompatible −1.5 |
//! | supplier | same +0.8 | different −8 |
//! | status | | one cancelled or void −1 |
//! | entity's seat | | another municipality under the same NIT −3.5 |
//!
//! Hard negatives drive the weights. Entities publish dozens of distinct processes with
//! the same object, the same value and dates days apart (monthly "prestación de servicios"
//! contracts); what tells them apart is the reference (another number) and the contractor.
//! So a different reference or supplier outweighs any likeness of text, value and date;
//! agreeing on a supplier weighs little (entities hire the same contractors again and
//! again); an object text the entity repeats in many processes of the same weeks counts
//! less than a text of its own; and about a month apart, without a reference, looks like
//! a monthly renewal rather than a double publication. Two entities can share a NIT (a
//! NIT mistyped on SECOP I, a national entity's regional offices): entities seated in
//! different municipalities weigh against, so only a pair that agrees on nearly
//! everything else (reference, object, value) is still shown, with the two places named.

use serde::Serialize;

use super::features::{
    ModalityMatch, Profile, RefMatch, SeatMatch, SupplierMatch, TextMatch, ValueMatch,
    compare_modalities, compare_references, compare_seats, compare_suppliers, compare_values,
    days_apart,
};
use crate::model::Status;

/// Log-odds before any evidence: two processes of one entity, published weeks apart, are
/// rarely the same process.
pub const PRIOR: f64 = -4.0;

/// The largest weight the object text can add ([`text_weight`] of 1.0).
pub const MAX_TEXT: f64 = 3.5;

/// The weight of an object text shared by this many processes of the entity in the time
/// window (the pair included) is capped at [`COMMON_TEXT_CAP`], unless the references
/// of the pair agree.
pub const COMMON_TEXT_MIN: u32 = 5;

/// See [`COMMON_TEXT_MIN`].
pub const COMMON_TEXT_CAP: f64 = 1.0;

/// One piece of evidence about a pair.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Evidence {
    /// `reference`, `object`, `value`, `date`, `modality`, `supplier`, `seat` or `status`.
    pub feature: &'static str,
    /// Log-odds: positive for "the same process", negative against.
    pub weight: f64,
    /// The reason in plain Spanish (`misma referencia LP-003-2025`).
    pub reason: String,
}

/// The score of a pair and the evidence behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Between 0 and 1.
    pub score: f64,
    /// Evidence in a fixed order: reference, object, value, date, modality, supplier, seat,
    /// status.
    pub evidence: Vec<Evidence>,
}

/// The logistic function.
pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The log-odds of a score (the inverse of [`logistic`]).
pub fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-9, 1.0 - 1e-9);
    (p / (1.0 - p)).ln()
}

/// The weight of each word substituted for another (another place, another building).
pub const WORD_SUBSTITUTION: f64 = -1.5;

/// The weight of each number substituted for another (another street, lot, phase, year).
pub const NUMBER_SUBSTITUTION: f64 = -2.0;

/// The most substitutions can weigh.
pub const MAX_SUBSTITUTION: f64 = -4.5;

/// The weight, on top of the missing reference, when no object text can be compared
/// either: value, date and supplier alone do not tell a series of contracts from one
/// published twice.
pub const NOTHING_TO_COMPARE: f64 = -1.5;

/// The weight of an object similarity: strongly against below 0.3, neutral at 0.65,
/// for above, piecewise linear.
pub fn text_weight(s: f64) -> f64 {
    const POINTS: &[(f64, f64)] = &[
        (0.0, -4.0),
        (0.3, -4.0),
        (0.5, -1.5),
        (0.65, 0.0),
        (0.8, 1.5),
        (0.9, 2.8),
        (0.95, MAX_TEXT),
        (1.0, MAX_TEXT),
    ];
    for w in POINTS.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        if s <= x1 {
            return y0 + (y1 - y0) * (s - x0).max(0.0) / (x1 - x0);
        }
    }
    MAX_TEXT
}

fn ref_weight(m: RefMatch) -> f64 {
    match m {
        RefMatch::Same => 4.5,
        RefMatch::SameWeak => 2.5,
        RefMatch::Compatible => 2.5,
        RefMatch::Different => -6.0,
        RefMatch::DifferentWeak => -3.5,
        // Without a reference, a monthly contract renewed with the same contractor looks
        // like one published twice: a little against.
        RefMatch::Unknown => -1.0,
    }
}

fn value_weight(m: ValueMatch) -> f64 {
    let ValueMatch::Known(d) = m else {
        return 0.0;
    };
    if d == 0.0 {
        1.5
    } else if d <= 0.005 {
        1.0
    } else if d <= 0.05 {
        0.3
    } else if d <= 0.2 {
        -0.5
    } else {
        -2.0
    }
}

fn date_weight(days: i64) -> f64 {
    match days {
        0 => 1.5,
        1..=3 => 1.2,
        4..=10 => 0.8,
        11..=20 => 0.0,
        // About a month apart: the rhythm of monthly contracts.
        21..=45 => -1.0,
        _ => -1.5,
    }
}

fn modality_weight(m: ModalityMatch) -> f64 {
    match m {
        ModalityMatch::Same => 0.5,
        ModalityMatch::Compatible | ModalityMatch::Unknown => 0.0,
        ModalityMatch::Different => -1.5,
    }
}

fn supplier_weight(m: SupplierMatch) -> f64 {
    match m {
        // Entities hire the same supplier again and again: weak evidence.
        SupplierMatch::Same(_) => 0.8,
        // Awarded to different contractors: distinct contracts, whatever else agrees.
        SupplierMatch::Different => -8.0,
        SupplierMatch::Unknown => 0.0,
    }
}

/// Status weight: a cancelled or void process next to a live one is often a new attempt
/// after the first failed.
/// Entities in two municipalities under one NIT are two entities (see [`super::features::Seat`]).
fn seat_weight(m: SeatMatch) -> f64 {
    match m {
        SeatMatch::Different => -3.5,
        SeatMatch::Same | SeatMatch::Unknown => 0.0,
    }
}

fn status_weight(a: Status, b: Status) -> f64 {
    let ended = |s: Status| matches!(s, Status::Cancelled | Status::Void);
    if ended(a) || ended(b) { -1.0 } else { 0.0 }
}

/// Whole pesos the Colombian way (`$ 1.234.567`).
pub fn pesos(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + 4);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    format!("{}$ {out}", if v < 0 { "-" } else { "" })
}

fn lower_label(s: Status) -> String {
    s.label().to_lowercase()
}

/// The features that need no text comparison. Cheap and allocation-free: computed for
/// every pair in the window, to skip most pairs of a dense entity before their texts are
/// compared and their reasons written.
#[derive(Debug, Clone, Copy)]
pub struct Cheap {
    reference: RefMatch,
    value: ValueMatch,
    days: i64,
    modality: ModalityMatch,
    supplier: SupplierMatch,
    seat: SeatMatch,
    status: f64,
    sum: f64,
}

impl Cheap {
    /// The best log-odds the pair can still reach, with the best possible object text.
    pub fn bound(&self) -> f64 {
        PRIOR + self.sum + MAX_TEXT
    }
}

/// The most value, date and modality can add.
const MAX_VALUE_DATE_MODALITY: f64 = 1.5 + 1.5 + 0.5;

/// Compares everything but the texts; `None` as soon as the pair cannot reach
/// `threshold` (log-odds) whatever the rest says. Most pairs of a dense entity stop at
/// the reference (another number) or at the supplier (another contractor).
pub fn cheap(a: &Profile, b: &Profile, threshold: f64) -> Option<Cheap> {
    let reference = match (&a.reference, &b.reference) {
        (Some(x), Some(y)) => compare_references(x, y),
        _ => RefMatch::Unknown,
    };
    let rw = ref_weight(reference);
    let best_supplier = supplier_weight(SupplierMatch::Same(0));
    if PRIOR + rw + best_supplier + MAX_VALUE_DATE_MODALITY + MAX_TEXT < threshold {
        return None;
    }
    let supplier = compare_suppliers(&a.supplier_keys, &b.supplier_keys);
    let sw = supplier_weight(supplier);
    if PRIOR + rw + sw + MAX_VALUE_DATE_MODALITY + MAX_TEXT < threshold {
        return None;
    }
    let value = compare_values(a.value, b.value);
    let days = days_apart(a.published, b.published);
    let modality = compare_modalities(a.modality, b.modality);
    let status = status_weight(a.status, b.status);
    let seat = compare_seats(a.seat.as_ref(), b.seat.as_ref());
    let sum = rw
        + sw
        + value_weight(value)
        + date_weight(days)
        + modality_weight(modality)
        + seat_weight(seat)
        + status;
    let c = Cheap {
        reference,
        value,
        days,
        modality,
        supplier,
        seat,
        status,
        sum,
    };
    (c.bound() >= threshold).then_some(c)
}

/// What the pre-check reads first, in one cache line: the reference and the supplier as
/// hashes. [`quick_reject`] settles most pairs of a dense entity with it alone.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hot {
    norm: u64,
    digits: u64,
    numbers: u64,
    bloom: u64,
    supplier_id: Option<u64>,
    supplier_name: Option<u64>,
    /// Numbers in the reference (0 without reference).
    n_numbers: u8,
    has_reference: bool,
    strong: bool,
    /// Suppliers: 0, 1, or 2 for several.
    suppliers: u8,
    /// The platform.
    pub platform: Option<crate::model::Platform>,
}

impl Hot {
    /// The summary of a profile.
    pub fn of(p: &Profile) -> Hot {
        let mut h = Hot {
            platform: p.platform,
            ..Hot::default()
        };
        if let Some(r) = &p.reference {
            h.has_reference = true;
            h.norm = r.keys.norm;
            h.digits = r.keys.digits;
            h.numbers = r.keys.numbers;
            h.bloom = r.keys.bloom;
            h.strong = r.keys.strong;
            h.n_numbers = r.numbers.len() as u8;
        }
        let k = &p.supplier_keys;
        h.suppliers = match (k.len, k.more) {
            (0, _) => 0,
            (1, false) => 1,
            _ => 2,
        };
        if h.suppliers == 1 {
            h.supplier_id = k.ids[0];
            h.supplier_name = k.names[0];
        }
        h
    }
}

/// True when the pair cannot reach `threshold` (log-odds), judged on the summaries alone:
/// another reference number, or, without references to compare, another sole supplier.
/// Never true for a pair [`cheap`] would keep; false when in doubt.
pub fn quick_reject(a: &Hot, b: &Hot, threshold: f64) -> bool {
    let best_rest = MAX_VALUE_DATE_MODALITY + MAX_TEXT;
    let reference = if !a.has_reference || !b.has_reference {
        Some(RefMatch::Unknown)
    } else if a.norm == b.norm {
        None
    } else if a.n_numbers == 0 || b.n_numbers == 0 {
        Some(RefMatch::Unknown)
    } else if a.numbers == b.numbers || a.digits == b.digits {
        None
    } else {
        // One reference inside the other needs its numbers' bits inside the other's.
        let (s, l) = if a.n_numbers <= b.n_numbers {
            (a, b)
        } else {
            (b, a)
        };
        if s.n_numbers < l.n_numbers && s.bloom & !l.bloom == 0 {
            None
        } else if a.strong && b.strong {
            Some(RefMatch::Different)
        } else {
            Some(RefMatch::DifferentWeak)
        }
    };
    let rw = reference.map_or(ref_weight(RefMatch::Same), ref_weight);
    let best_supplier = supplier_weight(SupplierMatch::Same(0));
    if PRIOR + rw + best_supplier + best_rest < threshold {
        return true;
    }
    if a.suppliers == 1 && b.suppliers == 1 {
        let same = (a.supplier_id.is_some() && a.supplier_id == b.supplier_id)
            || (a.supplier_name.is_some() && a.supplier_name == b.supplier_name);
        let sw = supplier_weight(if same {
            SupplierMatch::Same(0)
        } else {
            SupplierMatch::Different
        });
        return PRIOR + rw + sw + best_rest < threshold;
    }
    false
}

/// The evidence of the cheap features, with their reasons, in reading order.
fn cheap_evidence(a: &Profile, b: &Profile, c: &Cheap) -> Vec<Evidence> {
    let mut ev = Vec::with_capacity(7);
    let reason = match (&a.reference, &b.reference, c.reference) {
        (Some(x), Some(y), m) => match m {
            RefMatch::Same if x.shown == y.shown => format!("misma referencia {}", x.shown),
            RefMatch::Same => format!("misma referencia ({} / {})", x.shown, y.shown),
            RefMatch::SameWeak => format!("misma referencia corta {}", x.shown),
            RefMatch::Compatible => {
                format!("referencias compatibles ({} / {})", x.shown, y.shown)
            }
            RefMatch::Different | RefMatch::DifferentWeak => {
                format!("referencias distintas ({} / {})", x.shown, y.shown)
            }
            RefMatch::Unknown => format!(
                "referencias sin número que comparar ({} / {})",
                x.shown, y.shown
            ),
        },
        _ => "sin referencia que comparar".to_string(),
    };
    ev.push(Evidence {
        feature: "reference",
        weight: ref_weight(c.reference),
        reason,
    });
    if let (ValueMatch::Known(d), Some(x), Some(y)) = (c.value, a.value, b.value) {
        let reason = if d == 0.0 {
            format!("mismo valor ({})", pesos(x))
        } else if d <= 0.05 {
            format!(
                "valor parecido ({} / {}, {} % de diferencia)",
                pesos(x),
                pesos(y),
                format!("{:.1}", d * 100.0).replace('.', ",")
            )
        } else {
            format!(
                "valores distintos ({} / {}, {:.0} % de diferencia)",
                pesos(x),
                pesos(y),
                d * 100.0
            )
        };
        ev.push(Evidence {
            feature: "value",
            weight: value_weight(c.value),
            reason,
        });
    }
    ev.push(Evidence {
        feature: "date",
        weight: date_weight(c.days),
        reason: match c.days {
            0 => "publicados el mismo día".to_string(),
            1 => "publicados con 1 día de diferencia".to_string(),
            d => format!("publicados con {d} días de diferencia"),
        },
    });
    let (ma, mb) = (a.modality.label(), b.modality.label());
    let reason = match c.modality {
        ModalityMatch::Same => Some(format!("misma modalidad ({ma})")),
        ModalityMatch::Compatible => Some(format!("modalidades compatibles ({ma} / {mb})")),
        ModalityMatch::Different => Some(format!("modalidades distintas ({ma} / {mb})")),
        ModalityMatch::Unknown => None,
    };
    if let Some(reason) = reason {
        ev.push(Evidence {
            feature: "modality",
            weight: modality_weight(c.modality),
            reason,
        });
    }
    let reason = match c.supplier {
        SupplierMatch::Same(i) => Some(format!("mismo proveedor ({})", a.suppliers[i].shown)),
        SupplierMatch::Different => Some(format!(
            "proveedores distintos ({} / {})",
            a.suppliers[0].shown, b.suppliers[0].shown
        )),
        SupplierMatch::Unknown => None,
    };
    if let Some(reason) = reason {
        ev.push(Evidence {
            feature: "supplier",
            weight: supplier_weight(c.supplier),
            reason,
        });
    }
    if let (SeatMatch::Different, Some(x), Some(y)) = (c.seat, &a.seat, &b.seat) {
        ev.push(Evidence {
            feature: "seat",
            weight: seat_weight(c.seat),
            reason: format!(
                "con el mismo NIT, entidades de municipios distintos ({} / {})",
                x.shown, y.shown
            ),
        });
    }
    if c.status != 0.0 {
        let (ended, platform) = if matches!(a.status, Status::Cancelled | Status::Void) {
            (a.status, a.platform)
        } else {
            (b.status, b.platform)
        };
        let which = match (a.platform == b.platform, platform) {
            (false, Some(p)) => format!("el de {}", p.label()),
            _ => "uno de los dos".to_string(),
        };
        ev.push(Evidence {
            feature: "status",
            weight: c.status,
            reason: format!(
                "{which} está {} (posible nuevo intento)",
                lower_label(ended)
            ),
        });
    }
    ev
}

/// Scores a pair, with the text match found by [`Profile::best_text_match`]. `common`
/// is the number of processes of the entity, in the time window around the pair, whose
/// object text opens like the pair's best-matching text.
pub fn score(
    a: &Profile,
    b: &Profile,
    cheap: &Cheap,
    text: Option<TextMatch>,
    common: u32,
) -> Scored {
    let mut cheap_evidence = cheap_evidence(a, b, cheap);
    if let Some(m) = text {
        let pct = (m.similarity * 100.0).round() as i64;
        let mut w = text_weight(m.similarity);
        let mut reason = format!("objeto {pct} % similar");
        if m.cut {
            reason.push_str(" (uno de los textos está recortado)");
        }
        let subst = m.substitutions();
        if subst > 0 && m.similarity >= 0.5 {
            let numbers = m.number_substitutions();
            let penalty =
                NUMBER_SUBSTITUTION * numbers as f64 + WORD_SUBSTITUTION * (subst - numbers) as f64;
            w += penalty.max(MAX_SUBSTITUTION);
            let show = |v: &[String]| v.iter().take(4).cloned().collect::<Vec<_>>().join(" ");
            reason.push_str(&format!(
                ", pero con palabras distintas ({} / {})",
                show(&m.only.0),
                show(&m.only.1)
            ));
        }
        // A boilerplate object counts less, unless the references agree: then the
        // processes sharing the opening may be the very copies of this one.
        let references_agree = matches!(
            cheap.reference,
            RefMatch::Same | RefMatch::SameWeak | RefMatch::Compatible
        );
        if w > COMMON_TEXT_CAP && common >= COMMON_TEXT_MIN && !references_agree {
            w = COMMON_TEXT_CAP;
            reason.push_str(&format!(
                ", pero la entidad publicó {common} procesos con ese objeto en esas semanas"
            ));
        }
        // Reference first, then the object, as people read them.
        let at = usize::from(
            cheap_evidence
                .first()
                .is_some_and(|e| e.feature == "reference"),
        );
        cheap_evidence.insert(
            at,
            Evidence {
                feature: "object",
                weight: w,
                reason,
            },
        );
    } else if cheap.reference == RefMatch::Unknown {
        cheap_evidence.insert(
            1,
            Evidence {
                feature: "object",
                weight: NOTHING_TO_COMPARE,
                reason: "sin objeto que comparar".to_string(),
            },
        );
    }
    let sum: f64 = cheap_evidence.iter().map(|e| e.weight).sum();
    Scored {
        score: logistic(PRIOR + sum),
        evidence: cheap_evidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_weight_is_monotone_and_bounded() {
        let mut last = f64::NEG_INFINITY;
        for i in 0..=100 {
            let w = text_weight(i as f64 / 100.0);
            assert!(w >= last, "{i}");
            assert!((-4.0..=MAX_TEXT).contains(&w));
            last = w;
        }
        assert_eq!(text_weight(1.0), MAX_TEXT);
        assert_eq!(text_weight(0.1), -4.0);
        assert_eq!(text_weight(0.65), 0.0);
    }

    #[test]
    fn the_early_bound_matches_the_weights() {
        let best = [
            value_weight(ValueMatch::Known(0.0)),
            date_weight(0),
            modality_weight(ModalityMatch::Same),
        ];
        assert_eq!(best.iter().sum::<f64>(), MAX_VALUE_DATE_MODALITY);
        for d in 0..400 {
            assert!(date_weight(d) <= date_weight(0));
        }
    }

    #[test]
    fn the_quick_check_never_rejects_what_the_full_one_keeps() {
        use crate::model::{Award, Party, Platform, Process};
        // Real references (f789-7hwg, p6dx-8zbt) and ways of writing them, with and
        // without suppliers.
        let refs = [
            None,
            Some("LP-003-2025"),
            Some("lp 003 2025"),
            Some("LP-003-25"),
            Some("LP-03-2025 (Manifestación de interés (Menor Cuantía))"),
            Some("SAMC0092026"),
            Some("SAMC-009-2026"),
            Some("CD-PS-1441-2026"),
            Some("CD-PS-380-2026"),
            Some("239/2026"),
            Some("259/2026"),
            Some("087"),
            Some("088"),
            Some("CD-051-2026 MAYERLY ALEJANDRA NASAMUES AVIRAMA"),
            Some("CD-051-2026"),
            Some("FDLM-SAMC-012-2026 (158297)"),
            Some("FDLM-SAMC-012-2026"),
            Some("26-2025"),
            Some("2026-25"),
            Some("CONTRATACION DIRECTA"),
            Some("ENV-16-30-1194-26_1"),
            Some("ENV-16-30-1194-26"),
            Some("4162.010.32.1.0544-2026"),
            Some("0544-2026"),
        ];
        let suppliers = [
            None,
            Some("ESTRATEGA CONSULTORES SAS"),
            Some("CASTANO MOLINA FABIO"),
        ];
        let mut profiles = Vec::new();
        for (i, r) in refs.iter().enumerate() {
            for s in suppliers {
                let p = Process {
                    key: format!("secop1:{i}"),
                    platform: Some(Platform::SecopI),
                    process_id: format!("26-1-{i}"),
                    reference: r.map(str::to_string),
                    title: "PRESTACION DE SERVICIOS DE APOYO A LA GESTION".into(),
                    estimated_value: Some(1_000_000),
                    awards: s
                        .map(|n| Award {
                            supplier: Some(Party {
                                name: n.into(),
                                ..Default::default()
                            }),
                            ..Default::default()
                        })
                        .into_iter()
                        .collect(),
                    ..Default::default()
                };
                profiles.push(Profile::new(&p, 0));
            }
        }
        let mut rejected = 0;
        for threshold in [logit(0.05), logit(0.5), logit(0.8), logit(0.95)] {
            for a in &profiles {
                for b in &profiles {
                    if quick_reject(&Hot::of(a), &Hot::of(b), threshold) {
                        rejected += 1;
                        assert!(
                            cheap(a, b, threshold).is_none(),
                            "{:?} / {:?} at {threshold}",
                            a.reference.as_ref().map(|r| &r.shown),
                            b.reference.as_ref().map(|r| &r.shown)
                        );
                    }
                }
            }
        }
        assert!(
            rejected > 1000,
            "the quick check rejects something ({rejected})"
        );
    }

    #[test]
    fn entities_of_two_municipalities_under_one_nit_weigh_against() {
        use crate::model::{Buyer, Place, Platform, Process};
        // NIT 890981195 as the demo data has it: Abejorral on SECOP II, "ALCALDIA
        // MUNICIPIO DE ABREGO" on SECOP I (f789-7hwg).
        let place = |code: &str, name: &str| {
            Some(Place {
                code: Some(code.into()),
                name: name.into(),
                raw: None,
            })
        };
        let process = |platform, municipality: Option<Place>, department: Option<Place>| {
            let p = Process {
                key: format!("{platform:?}"),
                platform: Some(platform),
                reference: Some("MC-012-2026".into()),
                title: "PRESTACION DE SERVICIOS DE APOYO A LA GESTION EN LA SECRETARIA".into(),
                estimated_value: Some(12_000_000),
                buyer: Buyer {
                    nit: Some("890981195".into()),
                    municipality,
                    department,
                    ..Default::default()
                },
                ..Default::default()
            };
            Profile::new(&p, 0)
        };
        let abejorral = process(
            Platform::SecopII,
            place("05002", "Abejorral"),
            place("05", "Antioquia"),
        );
        let abrego = process(
            Platform::SecopI,
            place("54003", "Ábrego"),
            place("54", "Norte de Santander"),
        );
        let unplaced = process(Platform::SecopI, None, None);
        let also_abejorral = process(
            Platform::SecopI,
            place("05002", "Abejorral"),
            place("05", "Antioquia"),
        );
        let scored = |a: &Profile, b: &Profile| {
            let c = cheap(a, b, f64::NEG_INFINITY).expect("no threshold");
            let text = a.best_text_match(b).map(|(m, _)| m);
            score(a, b, &c, text, 0)
        };
        let apart = scored(&abejorral, &abrego);
        let seat: Vec<_> = apart
            .evidence
            .iter()
            .filter(|e| e.feature == "seat")
            .collect();
        assert_eq!(seat.len(), 1, "{:?}", apart.evidence);
        assert_eq!(seat[0].weight, -3.5);
        assert_eq!(
            seat[0].reason,
            "con el mismo NIT, entidades de municipios distintos (Abejorral, Antioquia / \
             Ábrego, Norte de Santander)"
        );
        // Neither the same seat nor an unknown one says anything.
        for other in [&also_abejorral, &unplaced] {
            let s = scored(&abejorral, other);
            assert!(s.evidence.iter().all(|e| e.feature != "seat"));
            let gap = logit(s.score) - logit(apart.score);
            assert!((gap - 3.5).abs() < 1e-6, "{gap}");
        }
        // Everything else agreeing, the pair is still shown, with its warning.
        assert!(apart.score > 0.8, "{}", apart.score);
    }

    #[test]
    fn logit_inverts_logistic() {
        for p in [0.1, 0.5, 0.8, 0.95] {
            assert!((logistic(logit(p)) - p).abs() < 1e-9);
        }
    }

    #[test]
    fn pesos_are_written_the_colombian_way() {
        assert_eq!(pesos(7_476_635_480), "$ 7.476.635.480");
        assert_eq!(pesos(999), "$ 999");
    }
}
