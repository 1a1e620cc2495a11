// \n
pub const LF: u8 = 0x0a;
// \r
pub const CR: u8 = 0x0d;

pub const OK: &str = "+OK";
pub const ERR: &str = "-ERR";

pub const END_OF_LINE: [u8; 2] = [CR, LF];
