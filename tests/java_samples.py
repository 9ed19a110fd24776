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
