//! A search request as people send it (strings from a URL or the command line), and its
//! validated form. Every mistake becomes [`Error::BadRequest`] with a message that says what
//! is wrong and how to fix it.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::model::{ContractType, Modality, Platform, Status};
use crate::normalize::place::Divipola;
use crate::normalize::{DayOrder, normalize_nit, parse_datetime};
use crate::{Error, Result};

/// Most hits one page may hold.
pub const MAX_PER_PAGE: usize = 100;
/// Deepest hit reachable with `page`; beyond it, use `cursor`.
pub const MAX_OFFSET: usize = 10_000;
/// Longest query text accepted.
pub const MAX_QUERY_LEN: usize = 1000;

/// The search parameters, as strings, shared by the CLI and the HTTP API.
#[derive(
    Debug, Clone, Default, Deserialize, Serialize, PartialEq, utoipa::IntoParams, utoipa::ToSchema,
)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Free text: words (Spanish stemming, accents and case ignored), "phrases", `-word`
    /// to exclude, `OR`, or any identifier (CO1.BDOS.*, CO1.NTC.*, constancia, reference, NIT).
    pub q: Option<String>,
    /// `secop1` or `secop2` (comma-separated for both).
    pub platform: Option<String>,
    /// The buyer's NIT, with or without check digit, dots or commas.
    pub nit: Option<String>,
    /// Words of the buyer's name.
    pub entity: Option<String>,
    /// Department: DIVIPOLA code (`05`) or any spelling (`Antioquia`, `BOGOTa D.C.`); comma-separated.
    pub department: Option<String>,
    /// Municipality: DIVIPOLA code (`05001`) or a spelling; comma-separated.
    pub municipality: Option<String>,
    /// Modality code (`minima_cuantia`, `licitacion`, …) or label; comma-separated.
    pub modality: Option<String>,
    /// Status code (`open`, `evaluation`, `awarded`, `contracted`, `closed`, `cancelled`, `void`, `unknown`); comma-separated.
    pub status: Option<String>,
    /// Contract type code (`obra`, `prestacion_servicios`, `suministro`, …); comma-separated.
    pub contract_type: Option<String>,
    /// UNSPSC code prefix of 2, 4, 6 or 8 digits (`7214`, `V1.72141000`); comma-separated.
    pub unspsc: Option<String>,
    /// A supplier's NIT or cédula, or words of its name.
    pub supplier: Option<String>,
    /// Source dataset id (`p6dx-8zbt`, `jbjy-vk9h`, `f789-7hwg`, `qddk-cgux`).
    pub dataset: Option<String>,
    /// Published on or after this date (`2026-01-31`); a process known only from its
    /// contracts is dated by its first contract's signature (`dated_by` in the hits).
    pub from: Option<String>,
    /// Published on or before this date (the same date as `from`).
    pub to: Option<String>,
    /// Offers due on or after this date or time.
    pub due_from: Option<String>,
    /// Offers due on or before this date or time.
    pub due_to: Option<String>,
    /// `true`: only processes open for offers now (status open, deadline not passed).
    pub open: Option<String>,
    /// Smallest value, whole COP.
    pub min_value: Option<String>,
    /// Largest value, whole COP.
    pub max_value: Option<String>,
    /// `relevance`, `date`, `value` or `deadline`, each with `_asc` or `_desc` (or a leading `-` for descending).
    pub sort: Option<String>,
    /// Page number, from 1.
    pub page: Option<String>,
    /// Hits per page, 1 to 100.
    pub per_page: Option<String>,
    /// The `next_cursor` of the previous page, for deep paging.
    pub cursor: Option<String>,
}

/// A keyword filter on one field: any of the values.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Platform codes.
    Platform(Vec<Platform>),
    /// Normalised buyer NITs.
    Nit(Vec<String>),
    /// Words of the buyer's name.
    Entity(String),
    /// Department codes.
    Department(Vec<String>),
    /// Municipality codes.
    Municipality(Vec<String>),
    /// Modalities.
    Modality(Vec<Modality>),
    /// Statuses.
    Status(Vec<Status>),
    /// Contract types.
    ContractType(Vec<ContractType>),
    /// UNSPSC prefixes.
    Unspsc(Vec<String>),
    /// Supplier id (normalised) or words of a name.
    Supplier(String),
    /// Dataset ids.
    Dataset(Vec<String>),
    /// Publication time range, Unix seconds, inclusive.
    Published(Option<i64>, Option<i64>),
    /// Offer deadline range, Unix seconds, inclusive.
    Due(Option<i64>, Option<i64>),
    /// Value range, inclusive.
    Value(Option<i64>, Option<i64>),
    /// Buyer key (NIT or `n:` folded name), exact.
    Buyer(Vec<String>),
}

/// How hits are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SortBy {
    /// Best match first.
    Relevance,
    /// By publication date.
    Date,
    /// By value.
    Value,
    /// By offer deadline.
    Deadline,
}

/// A sort with its direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    /// What to sort by.
    pub by: SortBy,
    /// Descending when true.
    pub desc: bool,
}

impl Sort {
    /// The name used in parameters and cursors.
    pub fn name(&self) -> String {
        let by = match self.by {
            SortBy::Relevance => return "relevance".into(),
            SortBy::Date => "date",
            SortBy::Value => "value",
            SortBy::Deadline => "deadline",
        };
        format!("{by}_{}", if self.desc { "desc" } else { "asc" })
    }

    /// Parses `relevance`, `date`, `-date`, `date_asc`, `value_desc`, `deadline`, ….
    pub fn parse(s: &str) -> Result<Sort> {
        let t = s.trim().to_ascii_lowercase();
        let (neg, t) = match t.strip_prefix('-') {
            Some(r) => (true, r.to_string()),
            None => (false, t),
        };
        let (base, dir) = match t.rsplit_once(['_', ' ', ':']) {
            Some((b, d @ ("asc" | "desc"))) => (b.to_string(), Some(d == "desc")),
            _ => (t.clone(), None),
        };
        let by = match base.as_str() {
            "relevance" | "score" | "relevancia" => SortBy::Relevance,
            "date" | "published" | "fecha" => SortBy::Date,
            "value" | "valor" => SortBy::Value,
            "deadline" | "due" | "cierre" => SortBy::Deadline,
            _ => {
                return Err(Error::invalid(
                    format!(
                        "unknown sort {s:?}: use relevance, date, value or deadline, optionally with _asc or _desc (for example date_desc)"
                    ),
                    format!(
                        "orden desconocido «{s}»: use relevance, date, value o deadline, si quiere con _asc o _desc (por ejemplo date_desc)"
                    ),
                ));
            }
        };
        // Relevance has one direction: the least relevant hit first is not an order anyone
        // reads, and taking `relevance_asc` as best first would answer something else.
        if by == SortBy::Relevance && dir == Some(false) {
            return Err(Error::invalid(
                format!(
                    "sort {s:?}: relevance only sorts best first; use relevance, or date, value or deadline with _asc"
                ),
                format!(
                    "orden «{s}»: la relevancia solo ordena de la mejor a la peor; use relevance, o date, value o deadline con _asc"
                ),
            ));
        }
        // Dates and values read newest/largest first; deadlines soonest first.
        let default_desc = !matches!(by, SortBy::Deadline);
        Ok(Sort {
            by,
            desc: if neg {
                true
            } else {
                dir.unwrap_or(default_desc)
            },
        })
    }
}

/// A validated search.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// Free text, when any.
    pub text: Option<String>,
    /// Filters, all of which must hold.
    pub filters: Vec<Filter>,
    /// Order.
    pub sort: Sort,
    /// Page number, from 1.
    pub page: usize,
    /// Hits per page.
    pub per_page: usize,
    /// Cursor from a previous page.
    pub cursor: Option<String>,
    /// A fingerprint of the text and filters as asked, which a cursor carries so that it
    /// is not used with another search (0: not checked).
    pub asked: u64,
}

impl Default for Search {
    fn default() -> Self {
        Search {
            text: None,
            filters: Vec::new(),
            sort: Sort {
                by: SortBy::Date,
                desc: true,
            },
            page: 1,
            per_page: 20,
            cursor: None,
            asked: 0,
        }
    }
}

fn list(s: &Option<String>) -> Vec<&str> {
    s.as_deref()
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Places, comma-separated, where a place's own name may hold a comma (`Bogotá, D.C.`,
/// `Archipiélago de San Andrés, Providencia y Santa Catalina`, the names the facets and
/// the process page show): from each position, the longest run of comma-separated parts
/// that `find` resolves is one place. Gives the first part nothing resolves when one does
/// not.
pub fn places<T>(s: &str, find: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, &str> {
    let parts: Vec<&str> = s.split(',').collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        if parts[i].trim().is_empty() {
            i += 1;
            continue;
        }
        let found = (i + 1..=parts.len())
            .rev()
            .find_map(|j| find(&parts[i..j].join(",")).map(|t| (j, t)));
        match found {
            Some((j, t)) => {
                out.push(t);
                i = j;
            }
            None => return Err(parts[i].trim()),
        }
    }
    Ok(out)
}

/// NITs, comma-separated, where a NIT may itself be written with thousands commas as the
/// web exports write it (`890,981,195` or `890,981,195-1`): a comma directly followed by
/// exactly three digits (and perhaps the check digit) continues a number of at most four
/// such groups, since no NIT is three digits long. `890981195, 800095174` is two NITs.
fn nit_list(s: &Option<String>) -> Vec<String> {
    let group = |x: &str, first: bool| {
        let (digits, check) = x.split_once('-').unwrap_or((x, ""));
        let n = digits.len();
        digits.bytes().all(|b| b.is_ascii_digit())
            && (if first { (1..=3).contains(&n) } else { n == 3 })
            && (check.is_empty() || (!first && check.len() == 1))
    };
    let mut out: Vec<String> = Vec::new();
    // Groups of the last item while it is only thousands groups without a check digit.
    let mut groups = 0;
    for raw in s.as_deref().unwrap_or("").split(',') {
        let part = raw.trim();
        if part.is_empty() {
            groups = 0;
            continue;
        }
        match out.last_mut() {
            Some(last) if (1..4).contains(&groups) && group(raw, false) => {
                last.push(',');
                last.push_str(part);
                groups = if part.contains('-') { 0 } else { groups + 1 };
            }
            _ => {
                groups = usize::from(group(part, true));
                out.push(part.to_string());
            }
        }
    }
    out
}

/// The web form's name for a parameter, for the Spanish messages the pages show.
pub fn label_es(name: &str) -> &str {
    match name {
        "platform" => "Plataforma",
        "nit" => "NIT",
        "entity" => "Entidad",
        "supplier" => "Proveedor",
        "department" => "Departamento",
        "municipality" => "Municipio",
        "modality" => "Modalidad",
        "status" => "Estado",
        "contract_type" => "Tipo de contrato",
        "unspsc" => "Código UNSPSC",
        "dataset" => "Conjunto de datos",
        "from" => "Publicado desde",
        "to" => "Publicado hasta",
        "due_from" => "Cierre desde",
        "due_to" => "Cierre hasta",
        "open" => "Solo abiertos",
        "min_value" => "Valor mínimo",
        "max_value" => "Valor máximo",
        "sort" => "Ordenar por",
        "page" => "Página",
        "per_page" => "Resultados por página",
        other => other,
    }
}

fn codes<T: Copy>(
    name: &str,
    values: Vec<&str>,
    parse: impl Fn(&str) -> Option<T>,
    all: &[T],
    code: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> Result<Vec<T>> {
    values
        .into_iter()
        .map(|v| {
            parse(v).ok_or_else(|| {
                let valid = all.iter().map(|x| code(*x)).collect::<Vec<_>>().join(", ");
                let valid_es = all
                    .iter()
                    .map(|x| format!("{} ({})", code(*x), label(*x)))
                    .collect::<Vec<_>>()
                    .join(", ");
                Error::invalid(
                    format!("unknown {name} {v:?}: use one of {valid}"),
                    format!(
                        "«{v}» no es un valor de «{}»; use uno de: {valid_es}",
                        label_es(name)
                    ),
                )
            })
        })
        .collect()
}

/// Reads a date or date-time bound. A bare date covers its whole day.
fn date_bound(name: &str, s: &str, end_of_day: bool) -> Result<i64> {
    let t = s.trim();
    let dt: Option<NaiveDateTime> = if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let time = if end_of_day {
            NaiveTime::from_hms_opt(23, 59, 59).expect("valid time")
        } else {
            NaiveTime::MIN
        };
        Some(d.and_time(time))
    } else {
        parse_datetime(t, DayOrder::DayFirst).ok().flatten()
    };
    dt.map(crate::index::document::seconds).ok_or_else(|| {
        Error::invalid(
            format!(
                "invalid date in {name}: {s:?}; write it as YYYY-MM-DD, for example 2026-03-31"
            ),
            format!(
                "fecha no válida en «{}»: «{s}»; escríbala como AAAA-MM-DD, por ejemplo 2026-03-31",
                label_es(name)
            ),
        )
    })
}

fn money(name: &str, s: &str) -> Result<i64> {
    let t = s.trim().replace(['_', ' '], "");
    match t.parse::<i64>() {
        Ok(v) if v >= 0 => Ok(v),
        Ok(_) => Err(Error::invalid(
            format!("{name} must not be negative: {s:?}"),
            format!("«{}» no puede ser negativo: «{s}»", label_es(name)),
        )),
        Err(_) => Err(Error::invalid(
            format!(
                "{name} must be a whole number of pesos without separators, for example 50000000; got {s:?}"
            ),
            format!(
                "«{}» debe ser un número entero de pesos sin separadores, por ejemplo 50000000; se recibió «{s}»",
                label_es(name)
            ),
        )),
    }
}

fn number(name: &str, s: &str, min: usize, max: usize) -> Result<usize> {
    match s.trim().parse::<usize>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(Error::invalid(
            format!("{name} must be a whole number from {min} to {max}; got {s:?}"),
            format!(
                "«{}» debe ser un número entero de {min} a {max}; se recibió «{s}»",
                label_es(name)
            ),
        )),
    }
}

/// A lower bound above its upper bound: a date after its end (`from`, `to`) or a value
/// above its maximum (`min_value`, `max_value`).
fn swapped(low: &str, high: &str) -> Error {
    let (en, es) = if low.ends_with("value") {
        ("is larger than", "es mayor que")
    } else {
        ("is after", "es posterior a")
    };
    Error::invalid(
        format!("{low} {en} {high}: swap them"),
        format!(
            "«{}» {es} «{}»: intercambie los dos",
            label_es(low),
            label_es(high)
        ),
    )
}

/// Checks that parentheses and quotes are balanced, so that a typo gets a clear answer
/// instead of a surprising result.
fn check_balance(q: &str) -> Result<()> {
    let mut depth = 0i32;
    let mut in_quote = false;
    let mut quote_at = 0;
    for (i, c) in q.char_indices() {
        match c {
            '"' => {
                in_quote = !in_quote;
                quote_at = i;
            }
            '(' if !in_quote => depth += 1,
            ')' if !in_quote => {
                depth -= 1;
                if depth < 0 {
                    let at = q[..i].chars().count() + 1;
                    return Err(Error::invalid(
                        format!(
                            "unbalanced query: a ')' at position {at} closes nothing; remove it or add the '(' it belongs to"
                        ),
                        format!(
                            "la búsqueda tiene un «)» en la posición {at} que no cierra nada; quítelo o agregue el «(» que le corresponde"
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    if in_quote {
        let at = q[..quote_at].chars().count() + 1;
        return Err(Error::invalid(
            format!(
                "unbalanced query: the quote at position {at} is never closed; add a closing \" or remove it"
            ),
            format!(
                "las comillas de la posición {at} de la búsqueda no se cierran; agregue las comillas de cierre (\") o quítelas"
            ),
        ));
    }
    if depth > 0 {
        return Err(Error::invalid(
            "unbalanced query: a '(' is never closed; add the missing ')' or remove the '('",
            "un «(» de la búsqueda no se cierra; agregue el «)» que falta o quite el «(»",
        ));
    }
    Ok(())
}

impl SearchParams {
    /// Validates the parameters.
    pub fn validate(&self) -> Result<Search> {
        let mut s = Search::default();
        if let Some(q) = self
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty() && *q != "*")
        {
            if q.chars().count() > MAX_QUERY_LEN {
                let n = q.chars().count();
                return Err(Error::invalid(
                    format!(
                        "the query is too long ({n} characters); keep it under {MAX_QUERY_LEN}"
                    ),
                    format!(
                        "la búsqueda es demasiado larga ({n} caracteres); use menos de {MAX_QUERY_LEN}"
                    ),
                ));
            }
            check_balance(q)?;
            s.text = Some(q.to_string());
        }
        let f = &mut s.filters;
        let platforms = list(&self.platform);
        if !platforms.is_empty() {
            f.push(Filter::Platform(codes(
                "platform",
                platforms,
                Platform::parse,
                &[Platform::SecopI, Platform::SecopII],
                Platform::code,
                Platform::label,
            )?));
        }
        let nits = nit_list(&self.nit);
        if !nits.is_empty() {
            let v = nits
                .iter()
                .map(|n| {
                    normalize_nit(n).ok_or_else(|| {
                        Error::invalid(
                            format!(
                                "invalid nit {n:?}: give the digits, for example 890981195 or 890.981.195-1"
                            ),
                            format!(
                                "NIT no válido «{n}»: escriba sus dígitos, por ejemplo 890981195 o 890.981.195-1"
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            f.push(Filter::Nit(v));
        }
        if let Some(e) = self
            .entity
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            f.push(Filter::Entity(e.to_string()));
        }
        let divipola = Divipola::get();
        let dept_codes = places(self.department.as_deref().unwrap_or(""), |d| {
            divipola.find_department(d).map(|found| found.code.clone())
        })
        .map_err(|d| {
            Error::invalid(
                format!("unknown department {d:?}: give a DIVIPOLA code (05) or a name (Antioquia)"),
                format!(
                    "departamento desconocido «{d}»: escriba un código DIVIPOLA (05) o un nombre (Antioquia)"
                ),
            )
        })?;
        let within = dept_codes.first().map(String::as_str);
        let munis = places(self.municipality.as_deref().unwrap_or(""), |m| {
            divipola
                .find_municipality(within, m)
                .map(|found| found.code.clone())
        })
        .map_err(|m| {
            Error::invalid(
                format!(
                    "unknown or ambiguous municipality {m:?}: give a DIVIPOLA code (05001) or add department=…"
                ),
                format!(
                    "municipio desconocido o ambiguo «{m}»: escriba un código DIVIPOLA (05001) o elija también el departamento"
                ),
            )
        })?;
        if !munis.is_empty() {
            f.push(Filter::Municipality(munis));
        }
        if !dept_codes.is_empty() {
            f.push(Filter::Department(dept_codes));
        }
        let m = list(&self.modality);
        if !m.is_empty() {
            f.push(Filter::Modality(codes(
                "modality",
                m,
                Modality::from_code,
                Modality::ALL,
                Modality::code,
                Modality::label,
            )?));
        }
        let st = list(&self.status);
        if !st.is_empty() {
            f.push(Filter::Status(codes(
                "status",
                st,
                Status::from_code,
                Status::ALL,
                Status::code,
                Status::label,
            )?));
        }
        let ct = list(&self.contract_type);
        if !ct.is_empty() {
            f.push(Filter::ContractType(codes(
                "contract_type",
                ct,
                ContractType::from_code,
                ContractType::ALL,
                ContractType::code,
                ContractType::label,
            )?));
        }
        let un = list(&self.unspsc);
        if !un.is_empty() {
            let v = un
                .iter()
                .map(|u| {
                    let t = u.trim_start_matches("V1.").trim_start_matches("v1.");
                    if t.chars().all(|c| c.is_ascii_digit()) && matches!(t.len(), 2 | 4 | 6 | 8) {
                        Ok(t.to_string())
                    } else {
                        Err(Error::invalid(
                            format!(
                                "invalid unspsc {u:?}: give a code prefix of 2, 4, 6 or 8 digits, for example 7214"
                            ),
                            format!(
                                "código UNSPSC no válido «{u}»: escriba un prefijo de 2, 4, 6 u 8 dígitos, por ejemplo 7214"
                            ),
                        ))
                    }
                })
                .collect::<Result<Vec<_>>>()?;
            f.push(Filter::Unspsc(v));
        }
        if let Some(sup) = self
            .supplier
            .as_deref()
            .map(str::trim)
            .filter(|x| !x.is_empty())
        {
            let as_id = sup.chars().filter(|c| c.is_ascii_digit()).count() >= 5
                && sup
                    .chars()
                    .all(|c| c.is_ascii_digit() || ".,- ".contains(c));
            f.push(Filter::Supplier(match (as_id, normalize_nit(sup)) {
                (true, Some(n)) => n,
                _ => sup.to_string(),
            }));
        }
        let ds = list(&self.dataset);
        if !ds.is_empty() {
            let v = ds
                .iter()
                .map(|d| {
                    crate::sources::datasets::by_name(d)
                        .map(|x| x.id().to_string())
                        .ok_or_else(|| {
                            let valid = crate::sources::datasets::ALL
                                .iter()
                                .map(|x| x.source_name())
                                .collect::<Vec<_>>()
                                .join(", ");
                            Error::invalid(
                                format!("unknown dataset {d:?}: use one of {valid}"),
                                format!("conjunto de datos desconocido «{d}»: use uno de: {valid}"),
                            )
                        })
                })
                .collect::<Result<Vec<_>>>()?;
            f.push(Filter::Dataset(v));
        }
        let from = self
            .from
            .as_deref()
            .filter(|x| !x.trim().is_empty())
            .map(|x| date_bound("from", x, false))
            .transpose()?;
        let to = self
            .to
            .as_deref()
            .filter(|x| !x.trim().is_empty())
            .map(|x| date_bound("to", x, true))
            .transpose()?;
        if let (Some(a), Some(b)) = (from, to)
            && a > b
        {
            return Err(swapped("from", "to"));
        }
        if from.is_some() || to.is_some() {
            f.push(Filter::Published(from, to));
        }
        let mut due_from = self
            .due_from
            .as_deref()
            .filter(|x| !x.trim().is_empty())
            .map(|x| date_bound("due_from", x, false))
            .transpose()?;
        let due_to = self
            .due_to
            .as_deref()
            .filter(|x| !x.trim().is_empty())
            .map(|x| date_bound("due_to", x, true))
            .transpose()?;
        match self.open.as_deref().map(|x| x.trim().to_ascii_lowercase()) {
            None => {}
            Some(v) if v.is_empty() || v == "false" || v == "0" || v == "no" => {}
            Some(v) if v == "true" || v == "1" || v == "yes" || v == "si" || v == "on" => {
                let now = chrono::Utc::now().timestamp();
                due_from = Some(due_from.map_or(now, |d| d.max(now)));
                f.push(Filter::Status(vec![Status::Open]));
            }
            Some(v) => {
                return Err(Error::invalid(
                    format!("open must be true or false; got {v:?}"),
                    format!(
                        "«{}» debe ser true o false; se recibió «{v}»",
                        label_es("open")
                    ),
                ));
            }
        }
        if let (Some(a), Some(b)) = (due_from, due_to)
            && a > b
        {
            return Err(swapped("due_from", "due_to"));
        }
        if due_from.is_some() || due_to.is_some() {
            f.push(Filter::Due(due_from, due_to));
        }
        let min = self
            .min_value
            .as_deref()
            .filter(|x| !x.trim().is_empty())
            .map(|x| money("min_value", x))
            .transpose()?;
        let max = self
            .max_value
            .as_deref()
            .filter(|x| !x.trim().is_empty())
            .map(|x| money("max_value", x))
            .transpose()?;
        if let (Some(a), Some(b)) = (min, max)
            && a > b
        {
            return Err(swapped("min_value", "max_value"));
        }
        if min.is_some() || max.is_some() {
            f.push(Filter::Value(min, max));
        }
        s.sort = match self.sort.as_deref().filter(|x| !x.trim().is_empty()) {
            Some(x) => Sort::parse(x)?,
            None if s.text.is_some() => Sort {
                by: SortBy::Relevance,
                desc: true,
            },
            None => Sort {
                by: SortBy::Date,
                desc: true,
            },
        };
        if let Some(p) = self.per_page.as_deref().filter(|x| !x.trim().is_empty()) {
            s.per_page = number("per_page", p, 1, MAX_PER_PAGE)?;
        }
        if let Some(p) = self.page.as_deref().filter(|x| !x.trim().is_empty()) {
            s.page = number("page", p, 1, MAX_OFFSET)?;
        }
        if (s.page - 1) * s.per_page + s.per_page > MAX_OFFSET {
            return Err(Error::invalid(
                format!(
                    "page {} is beyond the first {MAX_OFFSET} hits; page deeper with the cursor (next_cursor of the previous page)",
                    s.page
                ),
                format!(
                    "la página {} pasa de los primeros {MAX_OFFSET} resultados; afine la búsqueda con palabras o filtros (la API sigue más allá con next_cursor)",
                    s.page
                ),
            ));
        }
        if let Some(c) = self.cursor.as_deref().filter(|x| !x.trim().is_empty()) {
            if s.page != 1 {
                return Err(Error::invalid(
                    "use either page or cursor, not both",
                    "use page o cursor, no los dos",
                ));
            }
            s.cursor = Some(c.trim().to_string());
        }
        // What was asked, as given (so `open=true` is the same search a second later).
        let asked = SearchParams {
            page: None,
            per_page: None,
            cursor: None,
            sort: None,
            ..self.clone()
        };
        s.asked = xxhash_rust::xxh3::xxh3_64(
            serde_json::to_string(&asked).unwrap_or_default().as_bytes(),
        );
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_split_on_commas_that_are_not_part_of_a_name() {
        let d = Divipola::get();
        let dept = |v: &'static str| places(v, |x| d.find_department(x).map(|d| d.code.clone()));
        assert_eq!(dept("Bogotá, D.C.").unwrap(), ["11"]);
        assert_eq!(dept("05, Bogotá, D.C.,76").unwrap(), ["05", "11", "76"]);
        assert_eq!(dept("BOGOTa D.C.,Antioquia").unwrap(), ["11", "05"]);
        assert_eq!(
            dept("Archipiélago de San Andrés, Providencia y Santa Catalina").unwrap(),
            ["88"]
        );
        assert_eq!(dept(",05,").unwrap(), ["05"]);
        assert_eq!(dept("05,Narnia,11").unwrap_err(), "Narnia");
        assert_eq!(dept("").unwrap(), Vec::<String>::new());
    }

    fn p(pairs: &[(&str, &str)]) -> Result<Search> {
        let v: serde_json::Map<String, serde_json::Value> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
            .collect();
        serde_json::from_value::<SearchParams>(serde_json::Value::Object(v))
            .unwrap()
            .validate()
    }

    #[test]
    fn good_parameters() {
        let s = p(&[
            ("q", "vías"),
            ("department", "BOGOTa D.C.,Antioquia"),
            ("platform", "secop2"),
            ("sort", "-value"),
        ])
        .unwrap();
        assert_eq!(s.text.as_deref(), Some("vías"));
        assert!(
            s.filters
                .contains(&Filter::Department(vec!["11".into(), "05".into()]))
        );
        assert_eq!(
            s.sort,
            Sort {
                by: SortBy::Value,
                desc: true
            }
        );
        let s = p(&[("sort", "deadline")]).unwrap();
        assert!(!s.sort.desc);
        // Relevance is best first however it is spelt with its one direction.
        for given in ["relevance", "relevance_desc", "-relevance", "Relevancia"] {
            let s = p(&[("q", "vías"), ("sort", given)]).unwrap();
            assert_eq!(s.sort.by, SortBy::Relevance, "{given}");
            assert!(s.sort.desc, "{given}");
        }
        let s = p(&[("nit", "890.981.195-1")]).unwrap();
        assert_eq!(s.filters, vec![Filter::Nit(vec!["890981195".into()])]);
        // As the web exports write it, with thousands commas; and lists of NITs.
        for (given, want) in [
            ("829,000,477", vec!["829000477"]),
            ("890,981,195-1", vec!["890981195"]),
            ("890981195,800095174", vec!["890981195", "800095174"]),
            ("890,981,195, 800,095,174", vec!["890981195", "800095174"]),
            ("890,981,195-1,800095174", vec!["890981195", "800095174"]),
        ] {
            let s = p(&[("nit", given)]).unwrap();
            let want = want.into_iter().map(String::from).collect();
            assert_eq!(s.filters, vec![Filter::Nit(want)], "{given}");
        }
    }

    #[test]
    fn bad_parameters_say_why() {
        for (pairs, needle) in [
            (vec![("from", "31/02/2026")], "invalid date"),
            (vec![("from", "2026-13-01")], "invalid date"),
            (vec![("min_value", "-5")], "negative"),
            (vec![("max_value", "mucho")], "whole number"),
            (vec![("per_page", "500")], "per_page"),
            (vec![("sort", "popularity")], "unknown sort"),
            (vec![("sort", "relevance_asc")], "best first"),
            (vec![("sort", "score asc")], "best first"),
            (vec![("platform", "secop3")], "unknown platform"),
            (vec![("q", "(obra civil")], "unbalanced"),
            (vec![("q", "\"obra civil")], "unbalanced"),
            (vec![("q", "obra)")], "unbalanced"),
            (vec![("department", "Narnia")], "unknown department"),
            (vec![("unspsc", "721")], "invalid unspsc"),
            (vec![("page", "2000")], "cursor"),
            (vec![("min_value", "10"), ("max_value", "5")], "swap"),
            (vec![("status", "abierto-ya")], "unknown status"),
            (vec![("nit", "abc")], "invalid nit"),
            (vec![("municipality", "Springfield")], "municipality"),
            (vec![("dataset", "secop3")], "secop2-procesos"),
            (vec![("open", "quizas")], "open"),
            (
                vec![("due_from", "2026-05-01"), ("due_to", "2026-01-01")],
                "swap",
            ),
            (vec![("page", "2"), ("cursor", "ab")], "not both"),
            (vec![("q", &"a".repeat(1001))], "too long"),
        ] {
            let e = p(&pairs).unwrap_err();
            assert!(e.to_string().contains(needle), "{pairs:?}: {e}");
            // The web pages show every one of these in Spanish.
            match e {
                Error::BadRequest(m) => assert!(m.es_only().is_some(), "{pairs:?}: {m}"),
                other => panic!("{pairs:?}: {other}"),
            }
        }
    }
}
