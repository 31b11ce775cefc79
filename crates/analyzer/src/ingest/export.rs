//! Where a billing export is delivered, as users write it: `s3://bucket/prefix`.
//!
//! Parsed here, outside the `aws` feature, so a config file naming the
//! export is validated by every build of costwise.

/// Where a billing export is delivered: `s3://bucket/prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportLocation {
    /// The bucket.
    pub bucket: String,
    /// The key prefix (the export's S3 prefix, optionally with its name), without a leading slash; may be empty.
    pub prefix: String,
}

impl std::str::FromStr for ExportLocation {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let rest = text.strip_prefix("s3://").ok_or_else(|| {
            format!(
                "{text:?} is not an S3 location: write it as s3://bucket/prefix (the export's bucket and S3 prefix)"
            )
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !valid_bucket {
            return Err(format!(
                "{text:?}: {bucket:?} is not an S3 bucket name (3-63 lowercase letters, digits, - and .)"
            ));
        }
        Ok(ExportLocation { bucket: bucket.to_owned(), prefix: prefix.trim_start_matches('/').to_owned() })
    }
}

impl std::fmt::Display for ExportLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_locations_parse_and_bad_ones_say_what_is_expected() {
        let location: ExportLocation = "s3://billing-exports/cur/costwise".parse().unwrap();
        assert_eq!((location.bucket.as_str(), location.prefix.as_str()), ("billing-exports", "cur/costwise"));
        assert_eq!(location.to_string(), "s3://billing-exports/cur/costwise");
        let bare: ExportLocation = "s3://billing-exports".parse().unwrap();
        assert_eq!(bare.prefix, "");
        assert!("billing-exports/cur".parse::<ExportLocation>().unwrap_err().contains("s3://bucket/prefix"));
        assert!("s3://Billing_Exports/x".parse::<ExportLocation>().unwrap_err().contains("not an S3 bucket name"));
    }
}
