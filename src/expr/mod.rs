//! The expression language of strategy signals and rule conditions.
//!
//! ```text
//! expr    := or
//! or      := and ("or" and)*
//! and     := not ("and" not)*
//! not     := "not" not | cmp
//! cmp     := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
//! sum     := product (("+" | "-") product)*
//! product := unary (("*" | "/" | "%") unary)*
//! unary   := "-" unary | atom
//! atom    := number ["%"] | name | name "(" [expr ("," expr)*] ")" | "(" expr ")" | "_" | "true" | "false"
//! ```
//! Every value is a time series of `f64`; booleans are 1 and 0, and NaN means "not known yet"
//! (a lookback not yet filled). `and`/`or`/`not` follow three-valued (Kleene) logic, so
//! `false and unknown` is false. `5%` is 0.05: a `%` right after a number is a percent sign
//! unless a value (a number, a name or `(`) follows it, which makes it the modulo operator. Functions are listed in [`Func`].

use std::ops::Range;

/// A parsed expression; spans are byte offsets into the expression text.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(f64, Range<usize>),
    Name(String, Range<usize>),
    /// `_`: the candidate asset in a `select.score` expression.
    Placeholder(Range<usize>),
    Neg(Box<Expr>, Range<usize>),
    Not(Box<Expr>, Range<usize>),
    Binary(BinOp, Box<Expr>, Box<Expr>, Range<usize>),
    Call(String, Vec<Expr>, Range<usize>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    /// `x % y`: the remainder with the sign of y (`x - y floor(x / y)`), unknown for y = 0.
    Mod,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

impl Expr {
    pub fn span(&self) -> Range<usize> {
        match self {
            Expr::Num(_, s)
            | Expr::Name(_, s)
            | Expr::Placeholder(s)
            | Expr::Neg(_, s)
            | Expr::Not(_, s)
            | Expr::Binary(_, _, _, s)
            | Expr::Call(_, _, s) => s.clone(),
        }
    }
}

/// What an argument of a function must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// Any series expression (an asset name stands for its total-return index).
    Series,
    /// A constant whole number of bars (a literal, a param, or arithmetic on them), >= 1.
    Bars,
    /// Any number of series (at least two).
    Many,
}

use Arg::*;

/// The built-in functions, as documented in `docs/strategy-format.md`. All look only backwards.
/// A closed set: the compiler resolves a name to one of these once, and the evaluator matches
/// them exhaustively, so a function cannot be listed without being implemented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Ret,
    Change,
    Lag,
    Sma,
    Ema,
    Stdev,
    Vol,
    Zscore,
    Highest,
    Lowest,
    Drawdown,
    Ratio,
    Spread,
    Rank,
    Abs,
    Min,
    Max,
    Streak,
    PctRank,
    BarsSince,
}

impl Func {
    pub const ALL: [Func; 20] = [
        Func::Ret,
        Func::Change,
        Func::Lag,
        Func::Sma,
        Func::Ema,
        Func::Stdev,
        Func::Vol,
        Func::Zscore,
        Func::Highest,
        Func::Lowest,
        Func::Drawdown,
        Func::Ratio,
        Func::Spread,
        Func::Rank,
        Func::Abs,
        Func::Min,
        Func::Max,
        Func::Streak,
        Func::PctRank,
        Func::BarsSince,
    ];

    /// Name, arguments and one line of documentation.
    pub fn spec(self) -> (&'static str, &'static [Arg], &'static str) {
        match self {
            Func::Ret => ("ret", &[Series, Bars], "N-bar total return x[t] / x[t-N] - 1"),
            Func::Change => ("change", &[Series, Bars], "N-bar difference x[t] - x[t-N] (yields: percentage points)"),
            Func::Lag => ("lag", &[Series, Bars], "the value N bars ago, x[t-N]"),
            Func::Sma => ("sma", &[Series, Bars], "simple moving average of the last N values"),
            Func::Ema => ("ema", &[Series, Bars], "exponential moving average, alpha = 2/(N+1), seeded with the SMA of the first N values"),
            Func::Stdev => ("stdev", &[Series, Bars], "sample standard deviation of the last N values"),
            Func::Vol => ("vol", &[Series, Bars], "realised volatility: sample stdev of the last N one-bar returns times sqrt(252)"),
            Func::Zscore => ("zscore", &[Series, Bars], "(x - sma(x, N)) / stdev(x, N)"),
            Func::Highest => ("highest", &[Series, Bars], "rolling maximum of the last N values"),
            Func::Lowest => ("lowest", &[Series, Bars], "rolling minimum of the last N values"),
            Func::Drawdown => ("drawdown", &[Series], "x / (running maximum of x) - 1, zero or negative"),
            Func::Ratio => ("ratio", &[Series, Series], "a / b (e.g. ratio(iwm, spy), the small/large relative strength line)"),
            Func::Spread => ("spread", &[Series, Series, Bars], "ret(a, N) - ret(b, N)"),
            Func::Rank => ("rank", &[Many], "rank of the first argument among all arguments, 1 = largest"),
            Func::Abs => ("abs", &[Series], "absolute value"),
            Func::Min => ("min", &[Series, Series], "smaller of two values, bar by bar"),
            Func::Max => ("max", &[Series, Series], "larger of two values, bar by bar"),
            Func::Streak => ("streak", &[Series], "number of consecutive bars, up to now, on which the condition held (0 if it does not hold now)"),
            Func::PctRank => ("pct_rank", &[Series], "percentile rank of the value within its own history up to now: the share of values so far that are <= it (0 to 1)"),
            Func::BarsSince => ("bars_since", &[Series], "bars since the condition last held (0 on a bar where it holds); infinite if it never has"),

        }
    }

    pub fn name(self) -> &'static str {
        self.spec().0
    }

    pub fn args(self) -> &'static [Arg] {
        self.spec().1
    }

    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// Functions of the bar's date alone, called with no arguments: `month() == 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarFn {
    Year,
    Month,
    Day,
    Weekday,
    Yday,
    Tdom,
    TdomLeft,
}

impl CalendarFn {
    pub const ALL: [CalendarFn; 7] = [
        CalendarFn::Year,
        CalendarFn::Month,
        CalendarFn::Day,
        CalendarFn::Weekday,
        CalendarFn::Yday,
        CalendarFn::Tdom,
        CalendarFn::TdomLeft,
    ];

    /// Name and one line of documentation.
    pub fn spec(self) -> (&'static str, &'static str) {
        match self {
            CalendarFn::Year => ("year", "the bar's calendar year"),
            CalendarFn::Month => ("month", "the bar's month, 1 (January) to 12"),
            CalendarFn::Day => ("day", "the bar's day of the month, 1 to 31"),
            CalendarFn::Weekday => ("weekday", "the bar's day of the week, 1 (Monday) to 7 (Sunday)"),
            CalendarFn::Yday => ("yday", "the bar's day of the year, 1 to 366"),
            CalendarFn::Tdom => ("tdom", "trading day of the month on the aligned calendar, 1 on the month's first bar"),
            CalendarFn::TdomLeft => ("tdom_left", "trading days left in the month after this bar, 0 on the month's last bar (the calendar is known in advance)"),
        }
    }

    pub fn name(self) -> &'static str {
        self.spec().0
    }

    pub fn from_name(name: &str) -> Option<CalendarFn> {
        CalendarFn::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// Every function name, series and calendar functions alike.
pub fn function_names() -> Vec<&'static str> {
    Func::ALL
        .iter()
        .map(|f| f.name())
        .chain(CalendarFn::ALL.iter().map(|f| f.name()))
        .collect()
}

pub fn is_function(name: &str) -> bool {
    Func::from_name(name).is_some() || CalendarFn::from_name(name).is_some()
}

/// A parse error: message and span within the expression text.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub message: String,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Name(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
    End,
}

fn lex(src: &str) -> Result<Vec<(Tok, Range<usize>)>, ParseError> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
                let mut j = i + 1;
                if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    i = j;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let text = &src[start..i];
            let v: f64 = text.parse().map_err(|_| ParseError {
                message: format!("`{text}` is not a number"),
                span: start..i,
            })?;
            out.push((Tok::Num(v), start..i));
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push((Tok::Name(src[start..i].to_owned()), start..i));
            continue;
        }
        let two = src.get(i..i + 2).unwrap_or("");
        let op: Option<&'static str> = match two {
            "<=" => Some("<="),
            ">=" => Some(">="),
            "==" => Some("=="),
            "!=" => Some("!="),
            "&&" => Some("and"),
            "||" => Some("or"),
            _ => None,
        };
        if let Some(op) = op {
            i += 2;
            out.push((Tok::Op(op), start..i));
            continue;
        }
        i += 1;
        let tok = match c {
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b',' => Tok::Comma,
            b'+' => Tok::Op("+"),
            b'-' => Tok::Op("-"),
            b'*' => Tok::Op("*"),
            b'/' => Tok::Op("/"),
            b'<' => Tok::Op("<"),
            b'>' => Tok::Op(">"),
            b'%' => Tok::Op("%"),
            b'!' => Tok::Op("not"),
            b'=' => {
                return Err(ParseError {
                    message: "`=` is not an operator here; compare with `==`".into(),
                    span: start..i,
                })
            }
            _ => {
                let ch = src[start..].chars().next().unwrap_or('?');
                return Err(ParseError {
                    message: format!("unexpected character `{ch}`"),
                    span: start..start + ch.len_utf8(),
                });
            }
        };
        out.push((tok, start..i));
    }
    out.push((Tok::End, b.len()..b.len()));
    Ok(out)
}

/// The deepest expression tree rotor reads: 500 levels, where every operator of a chain counts
/// as one (`a + b + c` is two levels) as do parentheses, `not`, unary minus and function calls.
/// Parsing, compiling and evaluating follow the tree, so this bounds how deep they go; a longer
/// chain is better written as named signals.
pub const MAX_DEPTH: usize = 500;

/// The deepest the parser itself recurses: 64 nested parentheses, function calls, `not`s or
/// unary minus signs (each takes several stack frames to parse; chains take none).
pub const MAX_NESTING: usize = 64;

struct Parser {
    toks: Vec<(Tok, Range<usize>)>,
    pos: usize,
    /// Nesting of the parser's own recursion (parentheses, arguments, `not`, unary minus).
    depth: usize,
    /// Binary operators read so far, in the whole expression: a tree's depth is at most these
    /// plus the nesting, so bounding both bounds the tree before it is built.
    ops: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }
    fn span(&self) -> Range<usize> {
        self.toks[self.pos].1.clone()
    }
    fn bump(&mut self) -> (Tok, Range<usize>) {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }
    fn is_op(&self, op: &str) -> bool {
        match self.peek() {
            Tok::Op(o) => *o == op,
            Tok::Name(n) => (op == "and" || op == "or" || op == "not") && n == op,
            _ => false,
        }
    }
    /// At a `%`: whether a value follows it (then it is the modulo operator, not a percent).
    fn value_after_percent(&self) -> bool {
        match self.toks.get(self.pos + 1).map(|t| &t.0) {
            Some(Tok::Num(_)) | Some(Tok::LParen) => true,
            Some(Tok::Name(n)) => !matches!(n.as_str(), "and" | "or" | "not"),
            _ => false,
        }
    }

    /// One level deeper into the parser's recursion, refused past [`MAX_DEPTH`].
    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return self.error(format!("the expression nests more than {MAX_NESTING} parentheses, function calls, `not`s or signs inside each other: split it into named signals"));
        }
        Ok(())
    }

    /// One more operator in a chain: a chain longer than [`MAX_DEPTH`] is refused before its
    /// tree grows any deeper.
    fn chain(&mut self, terms: &mut usize) -> Result<(), ParseError> {
        *terms += 1;
        self.ops += 1;
        if *terms + self.depth > MAX_DEPTH || self.ops > MAX_DEPTH {
            return self.error(too_deep());
        }
        Ok(())
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            message: message.into(),
            span: self.span(),
        })
    }

    fn expr(&mut self) -> Result<Expr, ParseError> {
        let mut lhs = self.and()?;
        let mut terms = 0;
        while self.is_op("or") {
            self.chain(&mut terms)?;
            self.bump();
            let rhs = self.and()?;
            let span = lhs.span().start..rhs.span().end;
            lhs = Expr::Binary(BinOp::Or, Box::new(lhs), Box::new(rhs), span);
        }
        Ok(lhs)
    }
    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut lhs = self.not()?;
        let mut terms = 0;
        while self.is_op("and") {
            self.chain(&mut terms)?;
            self.bump();
            let rhs = self.not()?;
            let span = lhs.span().start..rhs.span().end;
            lhs = Expr::Binary(BinOp::And, Box::new(lhs), Box::new(rhs), span);
        }
        Ok(lhs)
    }
    fn not(&mut self) -> Result<Expr, ParseError> {
        if self.is_op("not") {
            self.enter()?;
            let start = self.bump().1.start;
            let inner = self.not()?;
            self.depth -= 1;
            let span = start..inner.span().end;
            return Ok(Expr::Not(Box::new(inner), span));
        }
        self.cmp()
    }
    fn cmp(&mut self) -> Result<Expr, ParseError> {
        let lhs = self.sum()?;
        let op = match self.peek() {
            Tok::Op("<") => BinOp::Lt,
            Tok::Op("<=") => BinOp::Le,
            Tok::Op(">") => BinOp::Gt,
            Tok::Op(">=") => BinOp::Ge,
            Tok::Op("==") => BinOp::Eq,
            Tok::Op("!=") => BinOp::Ne,
            _ => return Ok(lhs),
        };
        self.bump();
        let rhs = self.sum()?;
        if matches!(self.peek(), Tok::Op("<" | "<=" | ">" | ">=" | "==" | "!=")) {
            return self.error("comparisons do not chain; write `a < b and b < c`");
        }
        let span = lhs.span().start..rhs.span().end;
        Ok(Expr::Binary(op, Box::new(lhs), Box::new(rhs), span))
    }
    fn sum(&mut self) -> Result<Expr, ParseError> {
        let mut lhs = self.product()?;
        let mut terms = 0;
        loop {
            let op = match self.peek() {
                Tok::Op("+") => BinOp::Add,
                Tok::Op("-") => BinOp::Sub,
                _ => return Ok(lhs),
            };
            self.chain(&mut terms)?;
            self.bump();
            let rhs = self.product()?;
            let span = lhs.span().start..rhs.span().end;
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs), span);
        }
    }
    fn product(&mut self) -> Result<Expr, ParseError> {
        let mut lhs = self.unary()?;
        let mut terms = 0;
        loop {
            let op = match self.peek() {
                Tok::Op("*") => BinOp::Mul,
                Tok::Op("/") => BinOp::Div,
                Tok::Op("%") => BinOp::Mod,
                _ => return Ok(lhs),
            };
            self.chain(&mut terms)?;
            self.bump();
            let rhs = self.unary()?;
            let span = lhs.span().start..rhs.span().end;
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs), span);
        }
    }
    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.is_op("-") {
            self.enter()?;
            let start = self.bump().1.start;
            let inner = self.unary()?;
            self.depth -= 1;
            let span = start..inner.span().end;
            return Ok(Expr::Neg(Box::new(inner), span));
        }
        if self.is_op("+") {
            self.enter()?;
            self.bump();
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(inner);
        }
        self.atom()
    }
    fn atom(&mut self) -> Result<Expr, ParseError> {
        let (tok, span) = self.bump();
        match tok {
            Tok::Num(v) => {
                if self.is_op("%") && !self.value_after_percent() {
                    let end = self.bump().1.end;
                    Ok(Expr::Num(v / 100.0, span.start..end))
                } else {
                    Ok(Expr::Num(v, span))
                }
            }
            Tok::Name(n) if n == "_" => Ok(Expr::Placeholder(span)),
            Tok::Name(n) if n == "true" => Ok(Expr::Num(1.0, span)),
            Tok::Name(n) if n == "false" => Ok(Expr::Num(0.0, span)),
            Tok::Name(n) if n == "and" || n == "or" => Err(ParseError {
                message: format!("expected a value before `{n}`"),
                span,
            }),
            Tok::Name(n) => {
                if matches!(self.peek(), Tok::LParen) {
                    self.bump();
                    let mut args = Vec::new();
                    if !matches!(self.peek(), Tok::RParen) {
                        loop {
                            self.enter()?;
                            args.push(self.expr()?);
                            self.depth -= 1;
                            match self.peek() {
                                Tok::Comma => {
                                    self.bump();
                                }
                                Tok::RParen => break,
                                _ => {
                                    return self.error(format!(
                                        "expected `,` or `)` in the arguments of `{n}`"
                                    ))
                                }
                            }
                        }
                    }
                    let end = self.bump().1.end;
                    Ok(Expr::Call(n, args, span.start..end))
                } else {
                    Ok(Expr::Name(n, span))
                }
            }
            Tok::LParen => {
                self.enter()?;
                let inner = self.expr()?;
                self.depth -= 1;
                if !matches!(self.peek(), Tok::RParen) {
                    return self.error("expected `)`");
                }
                self.bump();
                Ok(inner)
            }
            Tok::End => Err(ParseError {
                message: "expression ends too early: expected a value".into(),
                span,
            }),
            Tok::RParen => Err(ParseError {
                message: "unexpected `)`".into(),
                span,
            }),
            Tok::Comma => Err(ParseError {
                message: "unexpected `,`".into(),
                span,
            }),
            Tok::Op(o) => Err(ParseError {
                message: format!("expected a value, found `{o}`"),
                span,
            }),
        }
    }
}

/// Parses one expression.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
        ops: 0,
    };
    let e = p.expr()?;
    if !matches!(p.peek(), Tok::End) {
        return p.error("unexpected text after the end of the expression");
    }
    // Chains (`a + b + ...`) are built by loops, not recursion: the tree's depth is checked
    // here, without recursion, before anything walks it.
    let mut stack = vec![(&e, 1usize)];
    while let Some((node, d)) = stack.pop() {
        if d > MAX_DEPTH {
            return Err(ParseError {
                message: too_deep(),
                span: node.span(),
            });
        }
        match node {
            Expr::Neg(a, _) | Expr::Not(a, _) => stack.push((a, d + 1)),
            Expr::Binary(_, a, b, _) => {
                stack.push((a, d + 1));
                stack.push((b, d + 1));
            }
            Expr::Call(_, args, _) => stack.extend(args.iter().map(|a| (a, d + 1))),
            Expr::Num(..) | Expr::Name(..) | Expr::Placeholder(_) => {}
        }
    }
    Ok(e)
}

fn too_deep() -> String {
    format!("the expression nests more than {MAX_DEPTH} levels deep or has more than {MAX_DEPTH} operators (each operator of a chain, each parenthesis and function call counts): split it into named signals")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(e: &Expr) -> String {
        match e {
            Expr::Num(v, _) => format!("{v}"),
            Expr::Name(n, _) => n.clone(),
            Expr::Placeholder(_) => "_".into(),
            Expr::Neg(e, _) => format!("(-{})", show(e)),
            Expr::Not(e, _) => format!("(not {})", show(e)),
            Expr::Binary(op, a, b, _) => format!("({} {:?} {})", show(a), op, show(b)),
            Expr::Call(n, args, _) => format!(
                "{n}({})",
                args.iter().map(show).collect::<Vec<_>>().join(", ")
            ),
        }
    }

    #[test]
    fn precedence() {
        let e = parse("ret(small, 5) > 0.10 and ret(large, 5) < 0 or not x").unwrap();
        assert_eq!(
            show(&e),
            "(((ret(small, 5) Gt 0.1) And (ret(large, 5) Lt 0)) Or (not x))"
        );
        assert_eq!(
            show(&parse("1 + 2 * -3 - 4 / 2").unwrap()),
            "((1 Add (2 Mul (-3))) Sub (4 Div 2))"
        );
        assert_eq!(show(&parse("8% + 1e-2").unwrap()), "(0.08 Add 0.01)");
        assert_eq!(show(&parse("ret(_, 63)").unwrap()), "ret(_, 63)");
    }

    #[test]
    fn spans_point_into_the_source() {
        let src = "ret(a, 5) > 0";
        let Expr::Binary(_, lhs, _, span) = parse(src).unwrap() else {
            panic!()
        };
        assert_eq!(&src[lhs.span()], "ret(a, 5)");
        assert_eq!(span, 0..src.len());
    }

    #[test]
    fn percent_or_modulo() {
        let num = |t: &str| match parse(t).unwrap() {
            Expr::Num(v, _) => v,
            other => panic!("{t}: {other:?}"),
        };
        assert_eq!(num("5%"), 0.05);
        let is_mod = |t: &str| matches!(parse(t).unwrap(), Expr::Binary(BinOp::Mod, ..));
        assert!(is_mod("year() % 4"));
        assert!(is_mod("5 % 3") && is_mod("5%3") && is_mod("x % (2 + 1)"));
        // A percent when no value follows.
        assert!(
            matches!(parse("x > 5%").unwrap(), Expr::Binary(BinOp::Gt, _, r, _) if matches!(*r, Expr::Num(v, _) if v == 0.05))
        );
        assert!(matches!(
            parse("5% and x").unwrap(),
            Expr::Binary(BinOp::And, ..)
        ));
        assert!(matches!(
            parse("5% * 2").unwrap(),
            Expr::Binary(BinOp::Mul, ..)
        ));
        // Precedence: % binds like * and /.
        assert!(
            matches!(parse("year() % 4 == 3").unwrap(), Expr::Binary(BinOp::Eq, l, ..) if matches!(*l, Expr::Binary(BinOp::Mod, ..)))
        );
    }

    #[test]
    fn depth_is_bounded_without_recursion_past_it() {
        // A chain of 500 levels parses; one more operator is refused, as are deep nestings,
        // long before any stack could overflow (20,000 terms, 10,000 parentheses or `not`s).
        let chain = |n: usize| vec!["x"; n].join(" + ");
        assert!(parse(&chain(MAX_DEPTH)).is_ok());
        for text in [
            chain(MAX_DEPTH + 2),
            chain(20_000),
            vec!["x"; 20_000].join(" and "),
        ] {
            let e = parse(&text).unwrap_err();
            assert!(
                e.message.contains("nests more than 500 levels"),
                "{}",
                e.message
            );
            assert!(e.span.start < text.len());
        }
        for text in [
            format!("{}x{}", "(".repeat(10_000), ")".repeat(10_000)),
            format!("{}x", "not ".repeat(10_000)),
            format!("{}x", "-".repeat(10_000)),
            format!("{}x{}", "abs(".repeat(10_000), ")".repeat(10_000)),
        ] {
            let e = parse(&text).unwrap_err();
            assert!(
                e.message.contains("nests more than 64 parentheses"),
                "{}",
                e.message
            );
            assert!(e.span.start < text.len());
        }
        let nest = |n: usize| format!("{}x{}", "(".repeat(n), ")".repeat(n));
        assert!(parse(&nest(MAX_NESTING)).is_ok());
        assert!(parse(&nest(MAX_NESTING + 1)).is_err());
    }

    #[test]
    fn errors_have_spans() {
        let e = parse("ret(a, 5) > ").unwrap_err();
        assert_eq!(e.span, 12..12);
        let e = parse("a = 1").unwrap_err();
        assert_eq!(e.span, 2..3);
        assert!(parse("1 < 2 < 3")
            .unwrap_err()
            .message
            .contains("do not chain"));
        assert!(parse("f(1,").is_err());
        assert!(parse("(1").is_err());
        assert!(parse("1 2").is_err());
        assert!(parse("a $ b").is_err());
    }
}
