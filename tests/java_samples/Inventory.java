package com.example.shop;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/** A small in-memory inventory, used as a realistic single-class file for checker tests and timings. */
public class Inventory {
    public enum Category {
        FOOD,
        TOOLS,
        BOOKS,
        TOYS
    }

    public static final class Item {
        private final String sku;
        private final String name;
        private final Category category;
        private final long priceCents;
        private int quantity;
        private LocalDate restocked;

        public Item(String sku, String name, Category category, long priceCents, int quantity) {
            if (sku == null || sku.isBlank()) {
                throw new IllegalArgumentException("sku must not be blank");
            }
            this.sku = sku;
            this.name = name;
            this.category = category;
            this.priceCents = priceCents;
            this.quantity = quantity;
            this.restocked = LocalDate.now();
        }

        public String sku() {
            return sku;
        }

        public String name() {
            return name;
        }

        public Category category() {
            return category;
        }

        public long priceCents() {
            return priceCents;
        }

        public int quantity() {
            return quantity;
        }

        public LocalDate restocked() {
            return restocked;
        }

        void add(int amount) {
            quantity += amount;
            restocked = LocalDate.now();
        }

        boolean take(int amount) {
            if (amount > quantity) {
                return false;
            }
            quantity -= amount;
            return true;
        }

        @Override
        public String toString() {
            return String.format("%s %s x%d @ %d.%02d", sku, name, quantity, priceCents / 100, priceCents % 100);
        }
    }

    private final Map<String, Item> items = new HashMap<>();
    private final List<String> log = new ArrayList<>();
    private int lowStockThreshold = 5;

    public Inventory() {}

    public Inventory(int lowStockThreshold) {
        this.lowStockThreshold = lowStockThreshold;
    }

    public void register(Item item) {
        Item previous = items.putIfAbsent(item.sku(), item);
        if (previous != null) {
            throw new IllegalStateException("duplicate sku " + item.sku());
        }
        log.add("registered " + item.sku());
    }

    public Optional<Item> find(String sku) {
        return Optional.ofNullable(items.get(sku));
    }

    public void restock(String sku, int amount) {
        Item item = items.get(sku);
        if (item == null) {
            throw new IllegalArgumentException("unknown sku " + sku);
        }
        item.add(amount);
        log.add("restocked " + sku + " +" + amount);
    }

    public boolean sell(String sku, int amount) {
        Item item = items.get(sku);
        if (item == null || !item.take(amount)) {
            log.add("failed sale " + sku);
            return false;
        }
        log.add("sold " + sku + " x" + amount);
        return true;
    }

    public List<Item> lowStock() {
        return filter(item -> item.quantity() < lowStockThreshold);
    }

    public List<Item> filter(Predicate<Item> predicate) {
        List<Item> result = new ArrayList<>();
        for (Item item : items.values()) {
            if (predicate.test(item)) {
                result.add(item);
            }
        }
        result.sort(Comparator.comparing(Item::sku));
        return result;
    }

    public Map<Category, Long> valueByCategory() {
        return items.values().stream()
                .collect(Collectors.groupingBy(
                        Item::category, Collectors.summingLong(item -> item.priceCents() * item.quantity())));
    }

    public long totalValue() {
        long total = 0;
        for (Item item : items.values()) {
            total += item.priceCents() * item.quantity();
        }
        return total;
    }

    public List<Item> mostValuable(int limit) {
        List<Item> sorted = new ArrayList<>(items.values());
        sorted.sort(Comparator.comparingLong((Item item) -> item.priceCents() * item.quantity()).reversed());
        return sorted.subList(0, Math.min(limit, sorted.size()));
    }

    public Map<String, Integer> quantities() {
        Map<String, Integer> result = new HashMap<>();
        items.forEach((sku, item) -> result.put(sku, item.quantity()));
        return Collections.unmodifiableMap(result);
    }

    public List<String> history() {
        return Collections.unmodifiableList(log);
    }

    public String report() {
        StringBuilder out = new StringBuilder();
        for (Category category : Category.values()) {
            List<Item> inCategory = filter(item -> item.category() == category);
            if (inCategory.isEmpty()) {
                continue;
            }
            out.append(category).append('\n');
            for (Item item : inCategory) {
                out.append("  ").append(item).append('\n');
            }
        }
        return out.toString();
    }

    public static void main(String[] args) {
        Inventory inventory = new Inventory(3);
        inventory.register(new Item("A-1", "Apples", Category.FOOD, 120, 40));
        inventory.register(new Item("T-9", "Hammer", Category.TOOLS, 1599, 2));
        inventory.register(new Item("B-3", "Novel", Category.BOOKS, 899, 7));
        inventory.sell("A-1", 5);
        inventory.restock("T-9", 1);
        System.out.println(inventory.report());
        System.out.println("low stock: " + inventory.lowStock());
        System.out.println("total: " + inventory.totalValue());
    }
}
