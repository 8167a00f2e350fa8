//! Canonical JSON: one byte string per value, so that hashes, signatures and stored traces
//! agree whichever map order serde_json was built with.

/// JSON with object keys sorted, whatever the map type serde_json was built with.
pub fn canonical_json(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(&String, &serde_json::Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| {
                    format!(
                        "{}:{}",
                        serde_json::Value::from(k.as_str()),
                        canonical_json(v)
                    )
                })
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        serde_json::Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", inner.join(","))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sorted_at_every_depth_and_nothing_else_changes() {
        let value = serde_json::json!({"b": [{"z": 1, "a": "x"}, 2.5], "a": null, "é": "\n"});
        assert_eq!(
            canonical_json(&value),
            r#"{"a":null,"b":[{"a":"x","z":1},2.5],"é":"\n"}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&canonical_json(&value)).unwrap();
        assert_eq!(parsed, value);
    }
}
