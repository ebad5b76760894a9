//! A tiny exchange-format dataset written into a temporary directory, for data and store tests.
#![allow(dead_code)]

use std::path::Path;

pub const DIMS: usize = 3;
pub const ROWS: usize = 2;

/// Four items, three users, a dataset.json with two user rows and an interactions file that points
/// at one unknown item and one unknown user.
pub fn write_small(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("dataset.json"),
        r#"{"name":"small","relevance_threshold":4.0,"diversity_fields":["genres"],"user_rows":2}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("items.jsonl"),
        concat!(
            "{\"id\":\"b\",\"item_vector\":[1,0,0],\"genres\":[\"Drama\",\"Comedy\",\"Drama\"],\"year\":1995,\"score\":[2.5,1]}\n",
            "{\"id\":10,\"item_vector\":[0,1,0],\"genres\":[\"Ãction\"],\"year\":2001,\"score\":[3,3,1.5]}\n",
            "\n",
            "{\"id\":\"a\",\"item_vector\":[0,0,1],\"genres\":[],\"brand\":\"zeta\"}\n",
            "{\"id\":\"c\",\"item_vector\":[0.5,0.5,0],\"genres\":[\"Zany\",\"Action\"],\"year\":null,\"brand\":\"Alpha\"}\n",
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("users.jsonl"),
        concat!(
            "{\"id\":\"u1\",\"user_vector\":[[1,0,0],[0,1,0]]}\n",
            "{\"id\":2,\"user_vector\":[0,0,1,1,1,1]}\n",
            "{\"id\":\"u3\",\"user_vector\":[[0.25,0,0],[0,0,0.75]]}\n",
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("interactions.csv"),
        "item_id,user_id,weight\nb,u1,5\n10,u1,3.5\nc,u1,4\nb,u1,2\nnope,u1,5\na,2,4.5\nb,ghost,5\n",
    )
    .unwrap();
    std::fs::write(dir.join("exclusions.csv"), "user_id,item_id\nu1,c\nu1,a\nu1,a\nu3,zzz\n").unwrap();
}
