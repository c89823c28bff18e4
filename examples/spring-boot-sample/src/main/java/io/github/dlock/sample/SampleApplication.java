package io.github.dlock.sample;

import io.github.dlock.LockHandle;
import io.github.dlock.spring.CurrentLock;
import io.github.dlock.spring.Locked;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.CommandLineRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.stereotype.Component;

/**
 * Three workers run the same daily report job at once; @Locked lets one at a time in, in this
 * process and in any other instance started with the same dlock.url (start two to see them wait
 * for each other). Each run prints its lock's fencing token, which only grows.
 */
@SpringBootApplication
public class SampleApplication {

    public static void main(String[] args) {
        SpringApplication.run(SampleApplication.class, args);
    }

    @Component
    public static class ReportJob {
        @Locked(name = "report:#{#day}", timeout = "30s")
        public void build(LocalDate day, String worker) throws InterruptedException {
            long token = CurrentLock.handle().map(LockHandle::fencingToken).orElseThrow();
            System.out.printf("%s builds the report of %s under fencing token %d%n", worker, day, token);
            Thread.sleep(300); // the work
            System.out.printf("%s done%n", worker);
        }
    }

    @Bean
    CommandLineRunner runWorkers(ReportJob job) {
        return args -> {
            LocalDate today = LocalDate.now();
            List<Thread> workers = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                String name = "worker-" + i;
                Thread t = new Thread(() -> {
                    try {
                        job.build(today, name);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, name);
                workers.add(t);
                t.start();
            }
            for (Thread t : workers) t.join();
        };
    }
}
