//! The MovieLens adapter: `ratings.csv` + `movies.csv` of ml-latest-small → an exchange-format
//! `Dataset`, deterministically (same inputs and options ⇒ byte-identical output).
//!
//! - Items: the movies with at least one rating (9,066 of the 9,125 in the 2016 `movies.csv`), in
//!   ascending movieId order; ids are movieIds. Users: every user, ascending userId.
//! - Split: per user, ratings sorted by (timestamp, movieId); the most recent
//!   `round(n × test_fraction)` (at least 1 and at most n − 1 when n ≥ 2) are the test interactions
//!   (weight = rating), the rest are training. The test split never reaches the factorisation.
//! - Item vectors: implicit ALS (`als.rs`) on the training ratings, confidence `1 + alpha × rating`.
//!   An item with no training rating gets the mean of the per-genre centroids of its genres (a
//!   centroid is the mean vector of the trained items with that genre); with no usable genre, the mean
//!   of all trained items.
//! - User matrix: `user_rows` rows = vectors of the user's most recent training items, most recent
//!   first; a user with fewer training items repeats them cyclically from the most recent.
//! - Attributes: `genres` (multi keyword; "(no genres listed)" → absent), `year` (from the title's
//!   trailing "(YYYY)", else absent), `decade` ("1990s"), `popularity` (training count), `mean_rating`
//!   (training mean, absent without training ratings), `last_rated` (epoch seconds of the latest
//!   training rating, absent without one).
//! - Exclusions: every user's training items.

use super::als::{self, AlsParams, Sparse};
use super::dataset::*;
use super::error::DataError;
use crate::progress::Progress;
use std::collections::BTreeMap;
use std::path::Path;

pub const RATINGS_FILE: &str = "ratings.csv";
pub const MOVIES_FILE: &str = "movies.csv";
const NO_GENRES: &str = "(no genres listed)";

#[derive(Debug, Clone)]
pub struct MovielensOptions {
    pub test_fraction: f64,
    pub dims: usize,
    pub seed: u64,
    pub threshold: f64,
    pub user_rows: usize,
    pub iterations: usize,
    pub alpha: f64,
    pub lambda: f64,
}

impl Default for MovielensOptions {
    fn default() -> Self {
        MovielensOptions {
            test_fraction: 0.2,
            dims: 32,
            seed: 42,
            threshold: 4.0,
            user_rows: 10,
            iterations: 10,
            alpha: 2.0,
            lambda: 0.1,
        }
    }
}

struct Rating {
    user: u64,
    movie: u64,
    rating: f32,
    timestamp: i64,
}

struct Movie {
    id: u64,
    title: String,
    genres: Vec<String>,
}

/// Reads `dir/ratings.csv` and `dir/movies.csv` and builds the dataset, telling `progress` the ALS
/// iterations completed (of `opts.iterations`), the long step.
pub fn prepare_movielens(
    dir: &Path,
    opts: &MovielensOptions,
    progress: &mut dyn Progress,
) -> Result<Dataset, DataError> {
    if !(0.0..1.0).contains(&opts.test_fraction) || opts.dims == 0 || opts.user_rows == 0 {
        return Err(DataError::Dataset(format!(
            "test fraction must be in [0, 1), dims and user rows at least 1 (got {}, {}, {})",
            opts.test_fraction, opts.dims, opts.user_rows
        )));
    }
    let ratings = read_ratings(&dir.join(RATINGS_FILE))?;
    let movies = read_movies(&dir.join(MOVIES_FILE))?;

    // Catalogue: rated movies, ascending id. BTreeMaps keep every iteration order fixed.
    let mut rated: BTreeMap<u64, u32> = ratings.iter().map(|r| (r.movie, 0)).collect();
    let movie_by_id: BTreeMap<u64, &Movie> = movies.iter().map(|m| (m.id, m)).collect();
    if let Some(missing) = rated.keys().find(|id| !movie_by_id.contains_key(id)) {
        return Err(DataError::Invalid {
            path: dir.join(RATINGS_FILE),
            message: format!("movieId {missing} is rated but not in {MOVIES_FILE}"),
        });
    }
    for (ord, v) in rated.values_mut().enumerate() {
        *v = ord as u32;
    }
    let catalogue: Vec<&Movie> = rated.keys().map(|id| movie_by_id[id]).collect();
    let mut by_user: BTreeMap<u64, Vec<&Rating>> = BTreeMap::new();
    for r in &ratings {
        by_user.entry(r.user).or_default().push(r);
    }
    let user_ids: Vec<u64> = by_user.keys().copied().collect();

    // Temporal split.
    let mut train: Vec<Vec<&Rating>> = Vec::with_capacity(by_user.len());
    let mut test: Vec<Vec<&Rating>> = Vec::with_capacity(by_user.len());
    for list in by_user.values_mut() {
        list.sort_by_key(|r| (r.timestamp, r.movie));
        let n = list.len();
        let mut n_test = (n as f64 * opts.test_fraction).round() as usize;
        if n >= 2 && opts.test_fraction > 0.0 {
            n_test = n_test.clamp(1, n - 1);
        } else if n < 2 {
            n_test = 0;
        }
        train.push(list[..n - n_test].to_vec());
        test.push(list[n - n_test..].to_vec());
    }

    // Factorise the training split.
    let triples: Vec<(u32, u32, f64)> = train
        .iter()
        .enumerate()
        .flat_map(|(u, list)| list.iter().map(move |r| (u as u32, r, r.rating as f64)))
        .map(|(u, r, s)| (u, rated[&r.movie], s))
        .collect();
    let matrix = Sparse::from_triples(user_ids.len(), catalogue.len(), triples);
    let params = AlsParams {
        dims: opts.dims,
        iterations: opts.iterations,
        alpha: opts.alpha,
        lambda: opts.lambda,
        seed: opts.seed,
    };
    let (_, mut factors) = als::train(&matrix, &params, progress);

    // Training statistics per item.
    let n_items = catalogue.len();
    let mut count = vec![0i64; n_items];
    let mut sum = vec![0f64; n_items];
    let mut last = vec![i64::MIN; n_items];
    for r in train.iter().flatten() {
        let i = rated[&r.movie] as usize;
        count[i] += 1;
        sum[i] += r.rating as f64;
        last[i] = last[i].max(r.timestamp);
    }

    // Cold items: mean of their genres' centroids, else the global centroid of trained items.
    let trained: Vec<usize> = (0..n_items).filter(|&i| count[i] > 0).collect();
    let mut genre_members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &i in &trained {
        for g in &catalogue[i].genres {
            genre_members.entry(g.as_str()).or_default().push(i);
        }
    }
    let centroids: BTreeMap<&str, ndarray::Array1<f64>> = genre_members
        .iter()
        .map(|(g, members)| (*g, als::mean_rows(factors.view(), members.iter().copied())))
        .collect();
    let global = als::mean_rows(factors.view(), trained.iter().copied());
    for i in (0..n_items).filter(|&i| count[i] == 0) {
        let cs: Vec<&ndarray::Array1<f64>> =
            catalogue[i].genres.iter().filter_map(|g| centroids.get(g.as_str())).collect();
        let v = if cs.is_empty() {
            global.clone()
        } else {
            let mut acc = ndarray::Array1::zeros(opts.dims);
            for c in &cs {
                acc += *c;
            }
            acc / cs.len() as f64
        };
        factors.row_mut(i).assign(&v);
    }

    let fields = vec![
        FieldSpec { name: "genres".into(), kind: FieldKind::Keyword, multi_valued: true },
        FieldSpec { name: "year".into(), kind: FieldKind::Long, multi_valued: false },
        FieldSpec { name: "decade".into(), kind: FieldKind::Keyword, multi_valued: false },
        FieldSpec { name: "popularity".into(), kind: FieldKind::Long, multi_valued: false },
        FieldSpec { name: "mean_rating".into(), kind: FieldKind::Double, multi_valued: false },
        FieldSpec { name: "last_rated".into(), kind: FieldKind::Long, multi_valued: false },
    ];
    let items: Vec<Item> = catalogue
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let year = title_year(&m.title);
            Item {
                id: m.id.to_string(),
                vector: factors.row(i).iter().map(|&x| x as f32).collect(),
                attributes: vec![
                    (!m.genres.is_empty()).then(|| AttrValue::Keyword(m.genres.clone())),
                    year.map(|y| AttrValue::Long(vec![y])),
                    year.map(|y| AttrValue::Keyword(vec![format!("{}s", y.div_euclid(10) * 10)])),
                    Some(AttrValue::Long(vec![count[i]])),
                    (count[i] > 0).then(|| AttrValue::Double(vec![round6(sum[i] / count[i] as f64)])),
                    (count[i] > 0).then(|| AttrValue::Long(vec![last[i]])),
                ],
            }
        })
        .collect();

    let mut users = Vec::with_capacity(user_ids.len());
    let mut interactions = Vec::new();
    let mut exclusions = Vec::new();
    for (u, &uid) in user_ids.iter().enumerate() {
        let uid_s = uid.to_string();
        let recent: Vec<usize> = train[u].iter().rev().map(|r| rated[&r.movie] as usize).collect();
        let mut matrix = Vec::with_capacity(opts.user_rows * opts.dims);
        for row in 0..opts.user_rows {
            // Every user keeps at least one training rating, so `None` (zero rows) cannot happen in practice.
            match recent.get(row % recent.len().max(1)) {
                Some(&i) => matrix.extend(factors.row(i).iter().map(|&x| x as f32)),
                None => matrix.extend(std::iter::repeat_n(0.0f32, opts.dims)),
            }
        }
        users.push(User { id: uid_s.clone(), matrix });
        for r in &test[u] {
            interactions.push(Interaction { item_id: r.movie.to_string(), user_id: uid_s.clone(), weight: r.rating });
        }
        let mut seen: Vec<u32> = train[u].iter().map(|r| rated[&r.movie]).collect();
        seen.sort_unstable();
        seen.dedup();
        for i in seen {
            exclusions.push(Exclusion { user_id: uid_s.clone(), item_id: catalogue[i as usize].id.to_string() });
        }
    }

    Ok(Dataset {
        settings: DatasetSettings {
            name: "movielens".into(),
            relevance_threshold: opts.threshold,
            diversity_fields: vec!["genres".into(), "decade".into()],
            item_vector_field: "item_vector".into(),
            user_vector_field: "user_vector".into(),
            user_rows: opts.user_rows as u32,
        },
        dims: opts.dims as u32,
        fields,
        items,
        users,
        interactions,
        exclusions,
    })
}

/// Rounded to 6 decimals so the written text stays short and stable.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The year of a title ending in "(YYYY)" (trailing spaces allowed).
fn title_year(title: &str) -> Option<i64> {
    let t = title.trim_end();
    let inner = t.strip_suffix(')')?;
    let open = inner.rfind('(')?;
    let digits = &inner[open + 1..];
    if digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()) { digits.parse().ok() } else { None }
}

fn csv_reader(path: &Path) -> Result<csv::Reader<std::fs::File>, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    Ok(csv::ReaderBuilder::new().has_headers(true).from_reader(file))
}

fn csv_error(path: &Path, e: csv::Error) -> DataError {
    let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
    DataError::Csv { path: path.to_path_buf(), line, column: 1, message: e.to_string() }
}

fn column_of(path: &Path, headers: &csv::StringRecord, name: &str) -> Result<usize, DataError> {
    headers.iter().position(|h| h == name).ok_or_else(|| DataError::Csv {
        path: path.to_path_buf(),
        line: 1,
        column: 1,
        message: format!("header has no `{name}` column"),
    })
}

fn parse_field<T: std::str::FromStr>(
    path: &Path,
    rec: &csv::StringRecord,
    col: usize,
    what: &str,
) -> Result<T, DataError> {
    let raw = rec.get(col).unwrap_or("");
    raw.trim().parse::<T>().map_err(|_| DataError::Csv {
        path: path.to_path_buf(),
        line: rec.position().map(|p| p.line() as usize).unwrap_or(0),
        column: col + 1,
        message: format!("{what} `{raw}` is not valid"),
    })
}

fn read_ratings(path: &Path) -> Result<Vec<Rating>, DataError> {
    let mut reader = csv_reader(path)?;
    let headers = reader.headers().map_err(|e| csv_error(path, e))?.clone();
    let (cu, cm, cr, ct) = (
        column_of(path, &headers, "userId")?,
        column_of(path, &headers, "movieId")?,
        column_of(path, &headers, "rating")?,
        column_of(path, &headers, "timestamp")?,
    );
    let mut out = Vec::with_capacity(100_004);
    for rec in reader.records() {
        let rec = rec.map_err(|e| csv_error(path, e))?;
        let rating: f32 = parse_field(path, &rec, cr, "rating")?;
        if !rating.is_finite() {
            return Err(DataError::Csv {
                path: path.to_path_buf(),
                line: rec.position().map(|p| p.line() as usize).unwrap_or(0),
                column: cr + 1,
                message: "rating is not finite".into(),
            });
        }
        out.push(Rating {
            user: parse_field(path, &rec, cu, "userId")?,
            movie: parse_field(path, &rec, cm, "movieId")?,
            rating,
            timestamp: parse_field(path, &rec, ct, "timestamp")?,
        });
    }
    if out.is_empty() {
        return Err(DataError::Empty { path: path.to_path_buf(), what: "no ratings".into() });
    }
    Ok(out)
}

fn read_movies(path: &Path) -> Result<Vec<Movie>, DataError> {
    let mut reader = csv_reader(path)?;
    let headers = reader.headers().map_err(|e| csv_error(path, e))?.clone();
    let (ci, ct, cg) = (
        column_of(path, &headers, "movieId")?,
        column_of(path, &headers, "title")?,
        column_of(path, &headers, "genres")?,
    );
    let mut out = Vec::with_capacity(10_000);
    for rec in reader.records() {
        let rec = rec.map_err(|e| csv_error(path, e))?;
        let genres = rec.get(cg).unwrap_or("");
        let genres: Vec<String> = if genres == NO_GENRES || genres.is_empty() {
            Vec::new()
        } else {
            genres.split('|').map(str::to_string).collect()
        };
        out.push(Movie {
            id: parse_field(path, &rec, ci, "movieId")?,
            title: rec.get(ct).unwrap_or("").to_string(),
            genres,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::title_year;

    #[test]
    fn years_come_from_a_trailing_parenthesised_year() {
        assert_eq!(title_year("Toy Story (1995)"), Some(1995));
        assert_eq!(title_year("Babylon 5 (1994) "), Some(1994));
        assert_eq!(title_year("Hyena Road"), None);
        assert_eq!(title_year("Fawlty Towers (1975-1979)"), None);
        assert_eq!(title_year("1984 (Nineteen Eighty-Four) (1984)"), Some(1984));
    }
}
