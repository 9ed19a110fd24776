package com.example;

import java.util.ArrayList;
import java.util.List;

/** A small calculator: the end-to-end test types inside its methods. */
public class Calculator {
    private final List<Integer> history = new ArrayList<>();

    public int add(int a, int b) {
        int sum = a + b;
        history.add(sum);
        return sum;
    }

    public int multiply(int a, int b) {
        return a * b;
    }

    public int total() {
        int result = 0;
        for (int value : history) {
            result += value;
        }
        return result;
    }

    public String describe(String name) {
        return name;
    }
}
