import java.util.ArrayList;
import java.util.List;

public class Fibonacci {
    /** Returns the first n Fibonacci numbers. */
    public static List<Long> first(int n) {
        List<Long> numbers = new ArrayList<>();
        long a = 0, b = 1;
        for (int i = 0; i < n; i++) {
            numbers.add(a);
            long next = a + b;
            
        }
        return numbers;
    }

    /** Returns the sum of the given numbers. */
    public static long sum(List<Long> numbers) {
    }

    public static void main(String[] args) {
        System.out.println(first(10));
        System.out.println(sum(first(10)));
    }
}
