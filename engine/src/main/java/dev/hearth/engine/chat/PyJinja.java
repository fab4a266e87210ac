package dev.hearth.engine.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.el.ext.AdditionOperator;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateSyntaxException;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.lib.tag.ForTag;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.tree.parse.TagToken;
import com.hubspot.jinjava.util.ForLoop;
import com.hubspot.jinjava.util.ObjectIterator;
import com.hubspot.jinjava.util.ObjectTruthValue;
import java.beans.FeatureDescriptor;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.misc.NumberOperations;
import jinjava.de.odysseus.el.misc.TypeConverter;
import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.TreeStore;
import jinjava.de.odysseus.el.tree.impl.Builder;
import jinjava.de.odysseus.el.tree.impl.Cache;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.Parser.ParseException;
import jinjava.de.odysseus.el.tree.impl.Scanner;
import jinjava.de.odysseus.el.tree.impl.Scanner.ScanException;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;
import jinjava.de.odysseus.el.tree.impl.ast.AstDot;
import jinjava.de.odysseus.el.tree.impl.ast.AstIdentifier;
import jinjava.de.odysseus.el.tree.impl.ast.AstMethod;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.de.odysseus.el.tree.impl.ast.AstParameters;
import jinjava.de.odysseus.el.tree.impl.ast.AstProperty;
import jinjava.de.odysseus.el.tree.impl.ast.AstUnary;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;
import jinjava.javax.el.ELResolver;

/**
 * A Jinjava engine set up to render Hugging Face chat templates the way {@code transformers} does
 * (Python Jinja2 with {@code trim_blocks=True, lstrip_blocks=True}, plus {@code raise_exception},
 * {@code tojson}, {@code strftime_now}). Jinjava differs from Jinja2 in many small ways; each
 * difference that real templates hit is patched here:
 * <ul>
 *   <li>expressions: {@code not} binds looser than tests and comparisons ({@code not x is defined});
 *       filters bind tighter than {@code +}; {@code str * int}; {@code "text" + undefined} adds nothing
 *       (Jinjava writes "null") while {@code str + dict/list} fails as in Python;</li>
 *   <li>Python string methods ({@code .strip()}, {@code .split()}, {@code .startswith()}...) via an EL resolver;</li>
 *   <li>unknown filters and tests fail instead of silently yielding nothing;</li>
 *   <li>filters {@code tojson} (Python json.dumps), {@code items}, {@code indent(first=)}, {@code trim};
 *       test {@code iterable} true for strings as in Python;</li>
 *   <li>tags {@code filter}, {@code generation}, and {@code for} with a loop filter ({@code for x in y if c})
 *       and {@code loop.previtem}/{@code loop.nextitem};</li>
 *   <li>lexing ({@link #preprocess}): lstrip_blocks with Jinja2's rule, comments as node boundaries, dropped
 *       trailing newline, {@code }}} inside dict literals;</li>
 *   <li>message text is never interpreted again as a template (Jinjava's nested interpretation is off).</li>
 * </ul>
 */
final class PyJinja {
    private PyJinja() {}

    /** Per-render state the static template functions need (renders run on the caller's thread). */
    static final class RenderState {
        final Clock clock;
        final List<String> raised = new ArrayList<>();
        final ArrayDeque<List<Object>> loops = new ArrayDeque<>();

        RenderState(Clock clock) {
            this.clock = clock;
        }
    }

    static final ThreadLocal<RenderState> STATE = new ThreadLocal<>();

    /**
     * The engine, created on first render: creating it loads Jinjava (~250 ms in a fresh JVM, most of the time
     * `hearth run` took before its first forward pass), which commands that never render a template (a plain
     * prompt, `bench`, `perplexity`) should not pay. A holder class, so that {@link #preprocess} does not create it.
     */
    static Jinjava engine() {
        return Engine.INSTANCE;
    }

    private static final class Engine {
        static final Jinjava INSTANCE = create();
    }

    private static Jinjava create() {
        var overrides = LegacyOverrides.newBuilder()
                .withEvaluateMapKeys(true)           // {"a": 1}: keys are expressions, as in Python
                .withIterateOverMapKeys(true)        // for k in dict: keys
                .withUsePyishObjectMapper(true)
                .withUseNaturalOperatorPrecedence(true) // a + b | trim filters b only
                .withParseWhitespaceControlStrictly(true)
                .withAllowAdjacentTextNodes(true)
                .withUseTrimmingForNotesAndExpressions(true) // {{- and {#- strip whitespace too
                .withKeepNullableLoopValues(true)
                .build();
        var resolver = new CompositeELResolver();
        resolver.add(new PyResolver());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        var config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(false) // done on the source with Jinja2's exact rule, see preprocess
                .withLegacyOverrides(overrides)
                .withElResolver(resolver)
                .withMaxOutputSize(64L << 20)
                .withFailOnUnknownTokens(false)
                .withNestedInterpretationEnabled(false) // message text containing {{ }} or {% %} must stay text
                .build();
        var jinjava = new PyJinjava(config);
        var ctx = jinjava.getGlobalContext();
        ctx.registerFunction(new ELFunctionDefinition("", "raise_exception", PyJinja.class, "raiseException", Object.class));
        ctx.registerFunction(new ELFunctionDefinition("", "strftime_now", PyJinja.class, "strftimeNow", String.class));
        ctx.registerFilter(new ToJsonFilter());
        ctx.registerFilter(new ItemsFilter());
        ctx.registerFilter(new IndentFilter());
        ctx.registerFilter(new TrimFilter());
        ctx.registerExpTest(new IterableTest());
        ctx.registerTag(new FilterBlockTag());
        ctx.registerTag(new GenerationTag());
        ctx.registerTag(new PyForTag());
        return jinjava;
    }

    // ---- functions -------------------------------------------------------------------------

    /** {@code raise_exception(msg)}: records the template's message; rendering fails with it afterwards. */
    public static Object raiseException(Object message) {
        String msg = String.valueOf(message);
        RenderState st = STATE.get();
        if (st != null) st.raised.add(msg);
        throw new ELException("raise_exception: " + msg);
    }

    /** {@code strftime_now(format)}: the current local time in Python strftime format (English names). */
    public static String strftimeNow(String format) {
        RenderState st = STATE.get();
        Clock clock = st != null ? st.clock : Clock.systemDefaultZone();
        return StrftimeFormatter.format(ZonedDateTime.now(clock), format, Locale.ENGLISH);
    }

    // ---- source preprocessing ---------------------------------------------------------------

    /**
     * Applies the Jinja2 lexer rules Jinjava gets wrong, on the source before Jinjava sees it:
     * <ul>
     *   <li>{@code keep_trailing_newline=False}: one trailing newline is dropped;</li>
     *   <li>{@code lstrip_blocks}: spaces and tabs between the start of a line and a block or comment tag are
     *       removed, but not before {@code {%+} and not when other text precedes the tag on its line (Jinjava's
     *       own lstrip strips those too);</li>
     *   <li>comments become empty expressions {@code {{''}}} (keeping their {@code -} whitespace control, and
     *       dropping the newline after them as trim_blocks does): Jinjava drops comments from the tree, so
     *       a {@code -%}} before a comment would also strip the text after it, which Jinja2 does not;</li>
     *   <li>tags end at the first closer outside strings and balanced braces (as in Jinja2), and adjacent
     *       closing braces of dict literals inside are spaced apart so Jinjava's scanner does the same.</li>
     * </ul>
     * Newlines are never removed from inside the template, so Jinjava's line numbers match the source;
     * {@code {% raw %}} blocks are copied unchanged.
     */
    static String preprocess(String source) {
        String s = source;
        if (s.endsWith("\r\n")) s = s.substring(0, s.length() - 2);
        else if (s.endsWith("\n")) s = s.substring(0, s.length() - 1);
        int n = s.length();
        var out = new StringBuilder(n + 64);
        int i = 0;
        while (i < n) {
            boolean lineStart = i == 0 || s.charAt(i - 1) == '\n';
            if (lineStart) {
                int j = i;
                while (j < n && (s.charAt(j) == ' ' || s.charAt(j) == '\t')) j++;
                if (j > i && j + 1 < n && s.charAt(j) == '{' && (s.charAt(j + 1) == '%' || s.charAt(j + 1) == '#')
                        && !(j + 2 < n && s.charAt(j + 2) == '+')) {
                    i = j; // lstrip_blocks
                }
            }
            char c = s.charAt(i);
            if (c == '{' && i + 1 < n && (s.charAt(i + 1) == '%' || s.charAt(i + 1) == '{')) {
                boolean block = s.charAt(i + 1) == '%';
                int end = tagEnd(s, i + 2, block ? '%' : '}');
                if (end < 0) { // unclosed: let Jinjava report it
                    out.append(s, i, n);
                    break;
                }
                String tag = separateClosingBraces(s.substring(i, end));
                if (block && tag.startsWith("{%+")) tag = "{%" + tag.substring(3); // Jinjava has no {%+
                out.append(tag);
                i = end;
                if (block && tagName(tag).equals("raw")) {
                    int close = findEndRaw(s, i);
                    out.append(s, i, close);
                    i = close;
                }
            } else if (c == '{' && i + 1 < n && s.charAt(i + 1) == '#') {
                int close = s.indexOf("#}", i + 2);
                if (close < 0) { // unclosed comment: let Jinjava report it
                    out.append(s, i, n);
                    break;
                }
                boolean leftTrim = i + 2 < close && s.charAt(i + 2) == '-';
                boolean rightTrim = close - 1 > i + 2 && s.charAt(close - 1) == '-';
                out.append(leftTrim ? "{{-''" : "{{''");
                // Newlines move inside the braces so that Jinjava's line numbers still match the source.
                for (int k = i; k < close; k++) if (s.charAt(k) == '\n') out.append('\n');
                i = close + 2;
                if (!rightTrim && i < n && s.charAt(i) == '\n') { // trim_blocks
                    out.append('\n');
                    i++;
                }
                out.append(rightTrim ? "-}}" : "}}");
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /**
     * End (exclusive) of a tag or expression opened before {@code from}, or -1 if unclosed. Like Jinja2's lexer it
     * skips quoted strings and balances braces, so {@code {{ {'a': {}} }}} ends at the last {@code }}}.
     */
    private static int tagEnd(String s, int from, char closer) {
        char quote = 0;
        int depth = 0;
        for (int i = from; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') i++;
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '{') {
                depth++;
            } else if (depth == 0 && c == closer && s.charAt(i + 1) == '}') {
                return i + 2;
            } else if (c == '}') {
                depth--;
            }
        }
        return -1;
    }

    /** Puts a space between adjacent closing braces of dict literals inside a tag, which Jinjava's scanner would take for the tag's end. */
    private static String separateClosingBraces(String tag) {
        if (tag.indexOf("}}") == tag.length() - 2) return tag; // the common case: only the closer
        var sb = new StringBuilder(tag.length() + 4);
        char quote = 0;
        int body = tag.length() - 2;
        for (int i = 0; i < tag.length(); i++) {
            char c = tag.charAt(i);
            sb.append(c);
            if (i < 2 || i >= body) continue;
            if (quote != 0) {
                if (c == '\\' && i + 1 < body) sb.append(tag.charAt(++i));
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '}' && tag.charAt(i + 1) == '}') {
                sb.append(' ');
            }
        }
        return sb.toString();
    }

    private static String tagName(String tag) {
        int i = 2;
        while (i < tag.length() && (tag.charAt(i) == '-' || tag.charAt(i) == '+' || Character.isWhitespace(tag.charAt(i)))) i++;
        int j = i;
        while (j < tag.length() && Character.isLetterOrDigit(tag.charAt(j))) j++;
        return tag.substring(i, j);
    }

    /** Start of the {@code {% endraw %}} tag that closes a raw block beginning at {@code from}, or the end. */
    private static int findEndRaw(String s, int from) {
        for (int k = s.indexOf("{%", from); k >= 0; k = s.indexOf("{%", k + 2)) {
            int end = tagEnd(s, k + 2, '%');
            if (end < 0) break;
            if (tagName(s.substring(k, end)).equals("endraw")) return k;
        }
        return s.length();
    }

    // ---- engine with the Python-flavoured expression parser ----------------------------------

    private static final class PyJinjava extends Jinjava {
        private final ExpressionFactoryImpl factory = new ExpressionFactoryImpl(
                new TreeStore(new PyTreeBuilder(), new Cache(1000)), new TruthyTypeConverter());

        PyJinjava(JinjavaConfig config) {
            super(config);
        }

        @Override
        public jinjava.javax.el.ExpressionFactory getExpressionFactory() {
            return factory;
        }
    }

    private static final class PyTreeBuilder extends Builder {
        private static final long serialVersionUID = 1L;

        PyTreeBuilder() {
            super(Feature.METHOD_INVOCATIONS, Feature.VARARGS);
        }

        @Override
        protected Parser createParser(String expression) {
            return new PyParser(this, expression);
        }
    }

    private static final class PyParser extends ExtendedParser {
        PyParser(Builder context, String input) {
            super(context, input);
        }

        /**
         * Jinja2's {@code not} binds looser than comparisons and tests: {@code not x is defined} is
         * {@code not (x is defined)}, {@code not a == b} is {@code not (a == b)}. EL treats it as a unary
         * operator on the next value, which inverts such conditions, so parse its operand at comparison level.
         */
        @Override
        protected AstNode unary(boolean required) throws ScanException, ParseException {
            if (getToken().getSymbol() == Scanner.Symbol.NOT) {
                consumeToken();
                return createAstUnary(eq(true), AstUnary.NOT);
            }
            return super.unary(required);
        }

        @Override
        protected AstBinary createAstBinary(AstNode left, AstNode right, AstBinary.Operator operator) {
            if (operator == AdditionOperator.OP) operator = PyAdd.OP;
            else if (operator == AstBinary.MUL) operator = PyMul.OP;
            return super.createAstBinary(left, right, operator);
        }

        @Override
        protected AstMethod createAstMethod(AstProperty property, AstParameters params) {
            // Filters and tests parse to "filter:name".filter(...) / "exptest:name".evaluate(...); Jinjava
            // yields null for an unknown name, which would silently drop text. Check the name instead.
            if (property instanceof AstDot && property.getChild(0) instanceof AstIdentifier id) {
                String name = id.getName();
                if (name.startsWith(ExtendedParser.FILTER_PREFIX) || name.startsWith(ExtendedParser.EXPTEST_PREFIX)) {
                    return new CheckedMethod(property, params, name);
                }
            }
            return super.createAstMethod(property, params);
        }
    }

    private static final class CheckedMethod extends AstMethod {
        private final String name;

        CheckedMethod(AstProperty property, AstParameters params, String name) {
            super(property, params);
            this.name = name;
        }

        @Override
        public Object eval(Bindings bindings, ELContext context) {
            var interp = JinjavaInterpreter.getCurrent();
            if (interp != null) {
                if (name.startsWith(ExtendedParser.FILTER_PREFIX)) {
                    String f = name.substring(ExtendedParser.FILTER_PREFIX.length());
                    if (interp.getContext().getFilter(f) == null) throw new ELException("No filter named '" + f + "'");
                } else {
                    String t = name.substring(ExtendedParser.EXPTEST_PREFIX.length());
                    if (interp.getContext().getExpTest(t) == null) throw new ELException("No test named '" + t + "'");
                }
            }
            return super.eval(bindings, context);
        }
    }

    /** {@code +}: as Jinjava's, but an undefined operand next to a string adds nothing (Jinjava writes "null"). */
    private static final class PyAdd extends AdditionOperator {
        static final PyAdd OP = new PyAdd();

        @Override
        protected Object apply(TypeConverter converter, Object o1, Object o2) {
            if (o1 instanceof SafeString s) o1 = s.toString();
            if (o2 instanceof SafeString s) o2 = s.toString();
            if (o1 instanceof String && o2 == null) return o1;
            if (o2 instanceof String && o1 == null) return o2;
            // Python refuses str + dict/list; Jinjava would paste Java's toString ("{city=Paris}") into the prompt.
            if ((o1 instanceof String && isContainer(o2)) || (o2 instanceof String && isContainer(o1))) {
                Object other = o1 instanceof String ? o2 : o1;
                throw new ELException("can only concatenate str (not \"" + (other instanceof Map<?, ?> ? "dict" : "list")
                        + "\") to str; the template expects a string here (for tool-call arguments, pass the JSON text)");
            }
            return super.apply(converter, o1, o2);
        }

        private static boolean isContainer(Object o) {
            return o instanceof Map<?, ?> || o instanceof Collection<?>;
        }
    }

    /** {@code *}: Python's repetition for {@code str * int} and {@code list * int}, else numeric. */
    private static final class PyMul extends AstBinary.SimpleOperator {
        static final PyMul OP = new PyMul();

        @Override
        protected Object apply(TypeConverter converter, Object o1, Object o2) {
            if (o1 instanceof SafeString s) o1 = s.toString();
            if (o2 instanceof SafeString s) o2 = s.toString();
            if (o1 instanceof String s && isInt(o2)) return s.repeat(Math.max(0, ((Number) o2).intValue()));
            if (o2 instanceof String s && isInt(o1)) return s.repeat(Math.max(0, ((Number) o1).intValue()));
            if (o1 instanceof Collection<?> c && isInt(o2)) return repeat(c, ((Number) o2).intValue());
            if (o2 instanceof Collection<?> c && isInt(o1)) return repeat(c, ((Number) o1).intValue());
            return NumberOperations.mul(converter, o1, o2);
        }

        private static boolean isInt(Object o) {
            return o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte;
        }

        private static List<Object> repeat(Collection<?> c, int times) {
            var out = new ArrayList<Object>();
            for (int i = 0; i < times; i++) out.addAll(c);
            return out;
        }

        @Override
        public String toString() {
            return "*";
        }
    }

    // ---- Python methods on values ---------------------------------------------------------------

    /** Resolves Python {@code str} methods and {@code loop.previtem/nextitem}; everything else goes to Jinjava's resolvers. */
    private static final class PyResolver extends ELResolver {
        @Override
        public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
            if (base instanceof SafeString ss) base = ss.toString();
            if (base instanceof String s && method instanceof String m) {
                Object r;
                try {
                    r = PyStrings.call(s, m, params);
                } catch (IllegalArgumentException e) {
                    throw new ELException(e.getMessage());
                }
                if (r != PyStrings.UNKNOWN) {
                    context.setPropertyResolved(true);
                    return r;
                }
            }
            return null;
        }

        @Override
        public Object getValue(ELContext context, Object base, Object property) {
            if (base instanceof ForLoop loop && ("previtem".equals(property) || "nextitem".equals(property))) {
                context.setPropertyResolved(true);
                RenderState st = STATE.get();
                List<Object> items = st == null ? null : st.loops.peek();
                if (items == null || items.size() != loop.getLength()) return null;
                int i = loop.getIndex0() + ("previtem".equals(property) ? -1 : 1);
                return i >= 0 && i < items.size() ? items.get(i) : null;
            }
            return null;
        }

        @Override
        public Class<?> getType(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public void setValue(ELContext context, Object base, Object property, Object value) {}

        @Override
        public boolean isReadOnly(ELContext context, Object base, Object property) {
            return true;
        }

        @Override
        public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
            return null;
        }

        @Override
        public Class<?> getCommonPropertyType(ELContext context, Object base) {
            return null;
        }
    }

    // ---- filters and tests ------------------------------------------------------------------

    private abstract static class KwFilter implements Filter {
        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, (Object[]) args, Map.of());
        }

        @Override
        public abstract Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs);

        static Object arg(Object[] args, Map<String, Object> kwargs, int pos, String name, Object dflt) {
            if (kwargs.containsKey(name)) return kwargs.get(name);
            if (args != null && args.length > pos && args[pos] != null) return args[pos];
            return dflt;
        }

        static boolean truthy(Object o) {
            return ObjectTruthValue.evaluate(o);
        }
    }

    /** Hugging Face's {@code tojson(indent=None, ensure_ascii=False, sort_keys=False)}. */
    private static final class ToJsonFilter extends KwFilter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = arg(args, kwargs, 0, "indent", null);
            String unit = indent == null ? null
                    : indent instanceof Number n ? " ".repeat(Math.max(0, n.intValue())) : indent.toString();
            boolean ascii = truthy(arg(args, kwargs, 1, "ensure_ascii", false));
            boolean sort = truthy(arg(args, kwargs, 3, "sort_keys", false));
            return PyJson.dumps(var, unit, ascii, sort);
        }
    }

    /** Jinja2's {@code items}: a mapping's (key, value) pairs as a list. */
    private static final class ItemsFilter extends KwFilter {
        @Override
        public String getName() {
            return "items";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            if (var == null) return List.of();
            if (!(var instanceof Map<?, ?> m)) {
                throw new ELException("items filter needs a mapping, got " + PyStrings.typeName(var));
            }
            var out = new ArrayList<Object>(m.size());
            for (var e : m.entrySet()) {
                var pair = new ArrayList<Object>(2); // a list, so "for k, v in ..." unpacks it
                pair.add(e.getKey());
                pair.add(e.getValue());
                out.add(pair);
            }
            return out;
        }
    }

    /** Jinja2's {@code indent(width=4, first=False, blank=False)}. */
    private static final class IndentFilter extends KwFilter {
        @Override
        public String getName() {
            return "indent";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object w = arg(args, kwargs, 0, "width", 4L);
            String pad = w instanceof Number n ? " ".repeat(Math.max(0, n.intValue())) : w.toString();
            boolean first = truthy(arg(args, kwargs, 1, "first", false));
            boolean blank = truthy(arg(args, kwargs, 2, "blank", false));
            String s = var == null ? "" : var.toString();
            String[] lines = s.split("\n", -1);
            var sb = new StringBuilder();
            for (int i = 0; i < lines.length; i++) {
                if (i > 0) sb.append('\n');
                boolean indentIt = (i > 0 || first) && (blank || !lines[i].isBlank());
                if (indentIt) sb.append(pad);
                sb.append(lines[i]);
            }
            return sb.toString();
        }
    }

    /** Jinja2's {@code trim(chars=None)}: Python's {@code str.strip}. */
    private static final class TrimFilter extends KwFilter {
        @Override
        public String getName() {
            return "trim";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object chars = arg(args, kwargs, 0, "chars", null);
            return PyStrings.strip(var == null ? "" : var.toString(), chars == null ? null : chars.toString(), true, true);
        }
    }

    /** Python's {@code iterable}: strings are iterable too (Llama 3.1's tool-result branch depends on it). */
    private static final class IterableTest implements ExpTest {
        @Override
        public String getName() {
            return "iterable";
        }

        @Override
        public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
            return var != null && (var instanceof Iterable<?> || var instanceof Map<?, ?> || var.getClass().isArray()
                    || var instanceof String || var instanceof SafeString);
        }
    }

    // ---- tags ----------------------------------------------------------------------------------

    private static String renderChildren(TagNode node, JinjavaInterpreter interpreter) {
        var sb = new StringBuilder();
        for (Node child : node.getChildren()) sb.append(child.render(interpreter).getValue());
        return sb.toString();
    }

    /** {@code {% filter name(args) %}...{% endfilter %}}: applies a filter to the block's output. */
    private static final class FilterBlockTag implements Tag {
        private static final long serialVersionUID = 1L;
        private static final String BODY = "__hearth_filter_body__";

        @Override
        public String getName() {
            return "filter";
        }

        @Override
        public String getEndTagName() {
            return "endfilter";
        }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            String body = renderChildren(tagNode, interpreter);
            try (var _ = interpreter.enterScope()) {
                interpreter.getContext().put(BODY, body);
                Object out = interpreter.resolveELExpression(BODY + "|" + tagNode.getHelpers().trim(), tagNode.getLineNumber());
                return out == null ? "" : out.toString();
            }
        }
    }

    /** Transformers' {@code {% generation %}...{% endgeneration %}} (marks assistant text for masks): renders its body. */
    private static final class GenerationTag implements Tag {
        private static final long serialVersionUID = 1L;

        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String getEndTagName() {
            return "endgeneration";
        }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            return renderChildren(tagNode, interpreter);
        }
    }

    /**
     * Jinjava's {@code for} plus Jinja2's loop filter ({@code for x in xs if cond}: Jinjava ignores the
     * condition) and {@code loop.previtem}/{@code loop.nextitem} (the items are kept for the resolver).
     */
    private static final class PyForTag extends ForTag {
        private static final long serialVersionUID = 1L;

        @Override
        public String interpretUnchecked(TagNode tagNode, JinjavaInterpreter interpreter) {
            var varsAndExpr = getLoopVarsAndExpression((TagToken) tagNode.getMaster());
            List<String> vars = varsAndExpr.getLeft();
            String expr = varsAndExpr.getRight();
            String cond = null;
            int ifAt = topLevelIf(expr);
            if (ifAt >= 0) {
                cond = expr.substring(ifAt + 2).trim();
                expr = expr.substring(0, ifAt).trim();
            }
            if (expr.isEmpty() || (cond != null && cond.isEmpty())) {
                throw new TemplateSyntaxException(interpreter, tagNode.getHelpers().trim(),
                        "Tag 'for' expects 'for x in items' (optionally 'if condition'), got: " + tagNode.getHelpers().trim());
            }
            Object collection = interpreter.resolveELExpression(expr, tagNode.getLineNumber());
            var items = new ArrayList<Object>();
            ForLoop it = ObjectIterator.getLoop(collection);
            while (it.hasNext()) items.add(it.next());
            if (cond != null) {
                var kept = new ArrayList<Object>();
                try (var _ = interpreter.enterScope()) {
                    for (Object item : items) {
                        bind(interpreter, vars, item);
                        if (ObjectTruthValue.evaluate(interpreter.resolveELExpression(cond, tagNode.getLineNumber()))) {
                            kept.add(item);
                        }
                    }
                }
                items = kept;
            }
            RenderState st = STATE.get();
            if (st != null) st.loops.push(items);
            try {
                return renderForCollection(tagNode, interpreter, vars, items);
            } finally {
                if (st != null) st.loops.pop();
            }
        }

        private static void bind(JinjavaInterpreter interpreter, List<String> vars, Object item) {
            Object val = interpreter.wrap(item);
            if (vars.size() == 1) {
                interpreter.getContext().put(vars.get(0), val);
                return;
            }
            List<?> parts = val instanceof Map.Entry<?, ?> e ? java.util.Arrays.asList(e.getKey(), e.getValue())
                    : val instanceof List<?> l ? l : null;
            for (int i = 0; i < vars.size(); i++) {
                interpreter.getContext().put(vars.get(i), parts != null && i < parts.size() ? parts.get(i) : null);
            }
        }

        /** Index of a loop-filter {@code if} outside strings and brackets, or -1. */
        static int topLevelIf(String expr) {
            int depth = 0;
            char quote = 0;
            for (int i = 0; i < expr.length(); i++) {
                char c = expr.charAt(i);
                if (quote != 0) {
                    if (c == '\\') i++;
                    else if (c == quote) quote = 0;
                } else if (c == '\'' || c == '"') {
                    quote = c;
                } else if (c == '(' || c == '[' || c == '{') {
                    depth++;
                } else if (c == ')' || c == ']' || c == '}') {
                    depth--;
                } else if (depth == 0 && c == 'i' && expr.startsWith("if", i)
                        && i > 0 && Character.isWhitespace(expr.charAt(i - 1))
                        && i + 2 < expr.length() && Character.isWhitespace(expr.charAt(i + 2))) {
                    return i;
                }
            }
            return -1;
        }
    }
}
