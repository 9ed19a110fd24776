import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.IdentifierTree;
import com.sun.source.tree.MemberSelectTree;
import com.sun.source.tree.Scope;
import com.sun.source.util.JavacTask;
import com.sun.source.util.TreePath;
import com.sun.source.util.TreePathScanner;
import com.sun.source.util.Trees;
import com.sun.tools.javac.api.JavacTaskPool;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.PackageElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.type.ArrayType;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;
import javax.lang.model.type.TypeVariable;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.DiagnosticListener;
import javax.tools.JavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Compilot's javac checker: one long-lived JVM that type-checks in-memory Java sources for a Python parent.
 *
 * <p>A fresh javac process costs ~1.5 s; a warm JVM that reuses javac's context costs ~25 ms. Nothing is
 * written to disk: sources live in memory, tasks only parse and analyze, and annotation processing is off
 * because processors found on a user's class path would run arbitrary code.
 *
 * <p>Protocol, both directions: a frame is an int32 field count followed by that many fields, each an int32
 * byte length and UTF-8 bytes (all ints big-endian). Requests: [op, release, classpath, sourcepath, name1,
 * source1, name2, source2, ...] with op "check" (analyze) or "parse" (syntax only); an empty release means
 * the JDK's own. Replies: ["ok", units, then per unit: count, then 7 fields per diagnostic (kind, code,
 * message, line, column, start, end)] or ["error", message]. Request ["info"] answers ["ok", engine,
 * java.version]. Offsets and columns count Unicode code points, like Python strings.
 *
 * <p>Request ["members", release, classpath, sourcepath, name, source]: the source holds one member select
 * whose name is {@code __compilot__} (the parent writes it where the model just wrote {@code expr.}); the
 * reply is ["ok", what, then name and kind per member] with what "instance", "static", "package" or "none",
 * the members those accessible at that place of expr's type (or of the type or package it names). Where
 * {@code __compilot__} stands alone (a simple name, no receiver), what is "scope" and the names are those a
 * simple name can refer to there: locals and parameters first, then the enclosing classes' members, then the
 * imported and visible types.
 */
public final class CompilotChecker {
    private static final JavaCompiler JAVAC = ToolProvider.getSystemJavaCompiler();
    private static final long STACK_BYTES = 64L << 20; // javac recurses once per nesting level of the source

    private final ExecutorService workers;
    private final ThreadLocal<StandardJavaFileManager> fileManagers = ThreadLocal.withInitial(
            () -> JAVAC.getStandardFileManager(null, Locale.ROOT, StandardCharsets.UTF_8));
    private final Javac plain = new Javac() {
        @Override
        public <T> T run(JavaFileManager files, DiagnosticListener<JavaFileObject> listener, List<String> options,
                List<Source> units, Function<JavacTask, T> work) {
            return plainTask(files, listener, options, units, work);
        }
    };
    private final Javac pooled; // the plain route again when the JDK-internal pool is out of reach

    CompilotChecker(int threads) {
        AtomicInteger count = new AtomicInteger();
        workers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(null, r, "javac-" + count.incrementAndGet(), STACK_BYTES);
            t.setDaemon(true);
            return t;
        });
        pooled = PooledJavac.create(threads, plain);
    }

    public static void main(String[] args) throws IOException {
        var in = new DataInputStream(new BufferedInputStream(new FileInputStream(FileDescriptor.in)));
        var out = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out)));
        System.setOut(System.err); // the real stdout carries frames only
        CompilotChecker checker = new CompilotChecker(args.length > 0 ? Integer.parseInt(args[0]) : 1);
        while (true) {
            List<String> request;
            try {
                request = readFrame(in);
            } catch (EOFException e) {
                return; // the parent closed our stdin: its way of saying goodbye
            }
            List<String> reply;
            try {
                reply = checker.handle(request);
            } catch (RuntimeException e) { // a bad request must not end the JVM (and every check after it)
                reply = List.of("error", "checker: " + e);
            }
            writeFrame(out, reply);
            out.flush();
        }
    }

    List<String> handle(List<String> request) {
        String op = request.isEmpty() ? "" : request.get(0);
        if (op.equals("info")) {
            return List.of("ok", pooled != plain ? "pool" : "plain", System.getProperty("java.version"));
        }
        if (op.equals("members") && request.size() == 6) {
            List<String> options = options(request.get(1), request.get(2), request.get(3));
            Javac javac = request.get(3).isEmpty() ? pooled : plain;
            Source unit = new Source(request.get(4), request.get(5));
            try {
                return workers.submit(() -> javac.run(fileManagers.get(), d -> { }, options, List.of(unit),
                        Members::of)).get();
            } catch (ExecutionException e) {
                return List.of("error", "members: " + e.getCause());
            } catch (InterruptedException e) {
                System.exit(70);
            }
        }
        if (!(op.equals("check") || op.equals("parse")) || request.size() < 4 || request.size() % 2 != 0) {
            return List.of("error", "malformed request: " + op + " with " + request.size() + " fields");
        }
        List<String> options = options(request.get(1), request.get(2), request.get(3));
        boolean parseOnly = op.equals("parse");
        // A reused context keeps symbols of classes it read from the source path and then cannot find them
        // again (measured on JDK 17), so checks with a source path take the plain, slower route.
        Javac javac = request.get(3).isEmpty() ? pooled : plain;
        List<Future<List<String>>> results = new ArrayList<>();
        for (int i = 4; i < request.size(); i += 2) {
            Source unit = new Source(request.get(i), request.get(i + 1));
            results.add(workers.submit(() -> check(javac, unit, options, parseOnly)));
        }
        List<String> reply = new ArrayList<>(List.of("ok", Integer.toString(results.size())));
        try {
            for (Future<List<String>> result : results) {
                reply.addAll(result.get());
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IllegalArgumentException) { // javac rejected an option
                return List.of("error", String.valueOf(e.getCause().getMessage()));
            }
            e.printStackTrace();
            System.exit(70); // out of memory or worse: let the parent start a fresh JVM
        } catch (InterruptedException e) {
            System.exit(70);
        }
        return reply;
    }

    static List<String> options(String release, String classpath, String sourcepath) {
        List<String> options = new ArrayList<>(List.of(
                "-proc:none", // annotation processors execute code from the class path
                "-implicit:none",
                "-Xlint:none",
                "-nowarn",
                "-XDshould-stop.ifError=FLOW", // a syntax error in one method must not hide type errors
                "-Xmaxerrs", "1000",
                "-classpath", classpath, // even when empty: else javac would search the current directory
                "-sourcepath", sourcepath)); // even when empty: else javac reads sources from the class path
        if (!release.isEmpty()) {
            options.add("--release");
            options.add(release);
        }
        // Pooled contexts are keyed by their options and keep what they read from the class path: a changed
        // jar or class folder must get a fresh context, so its modification times become an (inert) option.
        options.add("-XDcompilot.classpath.stamp=" + stamp(classpath));
        return options;
    }

    private static long stamp(String classpath) {
        long stamp = 0;
        for (String entry : classpath.split(File.pathSeparator)) {
            stamp = 31 * stamp + new File(entry).lastModified();
        }
        return stamp;
    }

    /** Diagnostics of one source as a flat list of reply fields; a javac crash becomes a diagnostic. */
    private List<String> check(Javac javac, Source unit, List<String> options, boolean parseOnly) {
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try {
            javac.run(fileManagers.get(), diagnostics, options, List.of(unit), t -> run(t, parseOnly));
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException | AssertionError | StackOverflowError e) {
            // The pool already drops a context whose task threw; a crash may have hurt the file manager too.
            fileManagers.remove();
            return List.of("1", "ERROR", "compilot.crash", "javac crashed: " + e, "0", "0", "-1", "-1");
        }
        List<String> fields = new ArrayList<>();
        List<Diagnostic<? extends JavaFileObject>> found = diagnostics.getDiagnostics();
        fields.add(Integer.toString(found.size()));
        for (Diagnostic<? extends JavaFileObject> d : found) {
            fields.addAll(unit.describe(d));
        }
        return fields;
    }

    /** One javac task over in-memory sources, given to `work` (which parses, analyzes; never generates). */
    interface Javac {
        <T> T run(JavaFileManager files, DiagnosticListener<JavaFileObject> listener, List<String> options,
                List<Source> units, Function<JavacTask, T> work);
    }

    private static <T> T plainTask(JavaFileManager files, DiagnosticListener<JavaFileObject> listener,
            List<String> options, List<Source> units, Function<JavacTask, T> work) {
        return work.apply((JavacTask) JAVAC.getTask(null, files, listener, options, null, units));
    }

    /** Reuses javac's Context between tasks through the JDK-internal JavacTaskPool: ~20 ms instead of ~70. */
    static final class PooledJavac implements Javac {
        private final JavacTaskPool pool;

        private PooledJavac(int threads) {
            pool = new JavacTaskPool(threads);
        }

        /** All references to the internal API stay in this class, so a JVM without the export still runs. */
        static Javac create(int threads, Javac fallback) {
            try {
                return new PooledJavac(threads);
            } catch (LinkageError e) { // IllegalAccessError without --add-exports
                System.err.println("compilot: JavacTaskPool unavailable, using plain javax.tools: " + e);
                return fallback;
            }
        }

        @Override
        public <T> T run(JavaFileManager files, DiagnosticListener<JavaFileObject> listener,
                List<String> options, List<Source> units, Function<JavacTask, T> work) {
            return pool.getTask(null, files, listener, options, null, units, work::apply);
        }
    }

    private static Void run(JavacTask task, boolean parseOnly) {
        try {
            if (parseOnly) {
                task.parse();
            } else {
                task.analyze();
            }
        } catch (IOException e) {
            throw new IllegalStateException(e); // in-memory sources: cannot happen
        }
        return null;
    }

    /** The members a `__compilot__` member select could name, from javac's attribution of its receiver. */
    static final class Members {
        static final String MARKER = "__compilot__";

        static List<String> of(JavacTask task) {
            try {
                Iterable<? extends CompilationUnitTree> units = task.parse();
                task.analyze();
                Trees trees = Trees.instance(task);
                for (CompilationUnitTree unit : units) {
                    TreePath[] found = new TreePath[1];
                    boolean[] bare = new boolean[1];
                    new TreePathScanner<Void, Void>() {
                        @Override
                        public Void visitMemberSelect(MemberSelectTree node, Void unused) {
                            if (found[0] == null && node.getIdentifier().contentEquals(MARKER)) {
                                found[0] = new TreePath(getCurrentPath(), node.getExpression());
                            }
                            return super.visitMemberSelect(node, unused);
                        }

                        @Override
                        public Void visitIdentifier(IdentifierTree node, Void unused) {
                            if (found[0] == null && node.getName().contentEquals(MARKER)) {
                                found[0] = getCurrentPath();
                                bare[0] = true;
                            }
                            return super.visitIdentifier(node, unused);
                        }
                    }.scan(unit, null);
                    if (found[0] != null) {
                        return bare[0] ? inScope(task, trees, found[0]) : describe(task, trees, found[0]);
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return List.of("ok", "none");
        }

        private static List<String> describe(JavacTask task, Trees trees, TreePath receiver) {
            var elements = task.getElements();
            var types = task.getTypes();
            var scope = trees.getScope(receiver.getParentPath());
            Element named = trees.getElement(receiver);
            TreeMap<String, String> members = new TreeMap<>();
            String what;
            if (named instanceof PackageElement pkg) {
                what = "package";
                for (Element e : pkg.getEnclosedElements()) {
                    if (e instanceof TypeElement t && trees.isAccessible(scope, t)) {
                        members.put(e.getSimpleName().toString(), "type");
                    }
                }
            } else if (named instanceof TypeElement type && type.asType().getKind() == TypeKind.ERROR) {
                what = "none"; // a name javac could not resolve
            } else if (named instanceof TypeElement type && isTypeName(receiver)) {
                what = "static";
                members.put("class", "field");
                for (Element e : elements.getAllMembers(type)) {
                    boolean nested = e.getKind().isClass() || e.getKind().isInterface();
                    if ((nested || e.getModifiers().contains(Modifier.STATIC))
                            && accessible(trees, scope, e, (DeclaredType) type.asType())) {
                        add(members, e);
                    }
                }
            } else {
                TypeMirror type = trees.getTypeMirror(receiver);
                if (type instanceof TypeVariable variable) {
                    type = variable.getUpperBound();
                }
                if (type instanceof ArrayType) {
                    what = "instance";
                    members.put("length", "field");
                    members.put("clone", "method"); // public on arrays, protected on Object
                    type = elements.getTypeElement("java.lang.Object").asType();
                } else {
                    what = type != null && type.getKind() == TypeKind.DECLARED ? "instance" : "none";
                }
                if (type instanceof DeclaredType declared && declared.asElement() instanceof TypeElement element) {
                    for (Element e : elements.getAllMembers(element)) { // instance fields and methods only
                        boolean member = e.getKind() == ElementKind.FIELD || e.getKind() == ElementKind.METHOD
                                || e.getKind() == ElementKind.ENUM_CONSTANT;
                        if (member && !e.getModifiers().contains(Modifier.STATIC)
                                && accessible(trees, scope, e, declared)) {
                            add(members, e);
                        }
                    }
                }
            }
            return reply(what, members);
        }

        /** The names a simple name at `at` can refer to, nearest first (a local hides a field of its name). */
        private static List<String> inScope(JavacTask task, Trees trees, TreePath at) {
            var elements = task.getElements();
            Scope scope = trees.getScope(at);
            Map<String, String> names = new LinkedHashMap<>();
            Map<String, String> types = new LinkedHashMap<>(); // imported and visible types: the longest list
            List<TypeElement> classes = new ArrayList<>();
            for (Scope s = scope; s != null; s = s.getEnclosingScope()) {
                TypeElement enclosing = s.getEnclosingClass();
                if (enclosing != null && !classes.contains(enclosing)) {
                    classes.add(enclosing); // its members after every local: they come from further out
                }
                for (Element e : s.getLocalElements()) {
                    if (!e.getSimpleName().contentEquals(MARKER) && !e.getSimpleName().isEmpty()) {
                        add(e.getKind().isClass() || e.getKind().isInterface() ? types : names, e);
                    }
                }
            }
            for (TypeElement enclosing : classes) {
                for (Element e : elements.getAllMembers(enclosing)) {
                    if (e.getKind() != ElementKind.CONSTRUCTOR && e.getKind() != ElementKind.STATIC_INIT
                            && e.getKind() != ElementKind.INSTANCE_INIT
                            && accessible(trees, scope, e, (DeclaredType) enclosing.asType())) {
                        add(names, e);
                    }
                }
            }
            types.forEach(names::putIfAbsent);
            return reply("scope", names);
        }

        /** ["ok", what, then name and kind for each name, in the map's order]. */
        private static List<String> reply(String what, Map<String, String> names) {
            List<String> reply = new ArrayList<>(List.of("ok", what));
            names.forEach((name, kind) -> {
                reply.add(name);
                reply.add(kind);
            });
            return reply;
        }

        /** `Math` in `Math.` names a type; `math` (a variable of that type) does not. */
        private static boolean isTypeName(TreePath receiver) {
            var kind = receiver.getLeaf().getKind();
            return kind == com.sun.source.tree.Tree.Kind.IDENTIFIER || kind == com.sun.source.tree.Tree.Kind.MEMBER_SELECT
                    || kind == com.sun.source.tree.Tree.Kind.PARAMETERIZED_TYPE;
        }

        private static boolean accessible(Trees trees, com.sun.source.tree.Scope scope, Element e, DeclaredType in) {
            try {
                return trees.isAccessible(scope, e, in);
            } catch (RuntimeException ex) {
                return false;
            }
        }

        private static void add(Map<String, String> members, Element e) {
            String kind = e instanceof ExecutableElement ? "method"
                    : e.getKind().isClass() || e.getKind().isInterface() ? "type" : "field";
            members.putIfAbsent(e.getSimpleName().toString(), kind);
        }
    }

    /** One in-memory compilation unit; also turns javac's UTF-16 positions into code point positions. */
    static final class Source extends SimpleJavaFileObject {
        private final String text;
        private final boolean bmpOnly; // no surrogate pairs: UTF-16 offsets are already code point offsets

        Source(String name, String text) {
            super(uri(name), Kind.SOURCE);
            this.text = text;
            this.bmpOnly = text.length() == text.codePointCount(0, text.length());
        }

        /** Any file name (`Odd Name.java`, `a[b]#c.java`): the multi-argument constructor quotes what a URI
         *  cannot hold as it is (`URI.create` threw, and took the JVM down with it). */
        private static URI uri(String name) {
            try {
                return new URI("string", null, "/" + name.replace('\\', '/').replaceFirst("^/+", ""), null, null);
            } catch (URISyntaxException e) {
                return URI.create("string:///Main.java");
            }
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return text;
        }

        List<String> describe(Diagnostic<? extends JavaFileObject> d) {
            String message = d.getMessage(Locale.ROOT);
            long line = Math.max(d.getLineNumber(), 0);
            if (d.getSource() != this) { // e.g. a file on the source path: positions would point elsewhere
                if (d.getSource() != null) {
                    message = d.getSource().getName() + ":" + line + ": " + message;
                }
                return List.of(d.getKind().name(), d.getCode(), message, "0", "0", "-1", "-1");
            }
            long position = d.getPosition();
            long column = position < 0 ? 0 : codePoints(lineStart((int) position), (int) position) + 1;
            return List.of(d.getKind().name(), d.getCode(), message, Long.toString(line),
                    Long.toString(column), Long.toString(offset(d.getStartPosition())),
                    Long.toString(offset(d.getEndPosition())));
        }

        private long offset(long utf16) {
            return utf16 < 0 || bmpOnly ? utf16 : codePoints(0, (int) utf16);
        }

        private int codePoints(int from, int to) {
            return bmpOnly ? to - from : text.codePointCount(from, Math.min(to, text.length()));
        }

        private int lineStart(int position) {
            int i = Math.min(position, text.length());
            while (i > 0 && text.charAt(i - 1) != '\n' && text.charAt(i - 1) != '\r') {
                i--;
            }
            return i;
        }
    }

    static List<String> readFrame(DataInputStream in) throws IOException {
        int count = in.readInt();
        List<String> fields = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] bytes = new byte[in.readInt()];
            in.readFully(bytes);
            fields.add(new String(bytes, StandardCharsets.UTF_8));
        }
        return fields;
    }

    static void writeFrame(DataOutputStream out, List<String> fields) throws IOException {
        out.writeInt(fields.size());
        for (String field : fields) {
            byte[] bytes = field.getBytes(StandardCharsets.UTF_8);
            out.writeInt(bytes.length);
            out.write(bytes);
        }
    }
}
