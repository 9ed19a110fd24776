"""Small real Java files shared by the tests (each compiles as it is)."""

STACK = """package demo.util;

import java.util.ArrayList;
import java.util.List;

public class Stack {
    private final List<String> items = new ArrayList<>();

    public void push(String item) {
        items.add(item);
    }

    public String pop() {
        String top = items.get(items.size() - 1);
        items.remove(items.size() - 1);
        return top;
    }

    public int size() {
        int n = items.size();
        return n;
    }
}
"""

# A method whose last line is missing (at PATTERN_CHECK_AT): the model tends to call the flag `thrown`.
_PATTERN_CHECK = """public class PatternCheck {
    static void assertTrue(boolean condition) {
        if (!condition) throw new AssertionError();
    }

    void rejects(String regex) {
        boolean threw = false;
        try {
            java.util.regex.Pattern.compile(regex);
        } catch (RuntimeException e) {
            threw = true;
        }
        <here>
    }
}
"""
PATTERN_CHECK_AT = _PATTERN_CHECK.index("<here>")
PATTERN_CHECK = _PATTERN_CHECK.replace("<here>", "")
